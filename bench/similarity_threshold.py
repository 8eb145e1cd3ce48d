"""Where the similarity threshold comes from, and what comparing a large batch costs.

For every seed problem with alternatives under tests/problems/alternatives: the similarity of every
pair of independent solutions (reference and alternatives), and of the reference with a disguised copy
of itself (variables renamed, reformatted, comments dropped and added). The default threshold must lie
between the two. Then the wall time of similar_pairs on a batch of N submissions.

Run: .venv/bin/python bench/similarity_threshold.py [N]
"""

from __future__ import annotations

import ast
import statistics
import sys
import time
from pathlib import Path

from judge.settings import Settings
from judge.similarity import all_pairs, similar_pairs

REPO = Path(__file__).resolve().parent.parent
ALTERNATIVES = REPO / "tests" / "problems" / "alternatives"


class Rename(ast.NodeTransformer):
    """Renames every variable and argument the file defines."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Store) or node.id in self.names:
            node.id = self.names.setdefault(node.id, f"v{len(self.names)}")
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        if node.arg != "self":
            node.arg = self.names.setdefault(node.arg, f"v{len(self.names)}")
        return node


def disguise(source: str) -> str:
    """Renamed, reformatted (ast.unparse drops comments), with new comments."""
    lines = ast.unparse(Rename().visit(ast.parse(source))).splitlines()
    return "\n".join(line + ("  # note" if i % 3 == 0 else "") for i, line in enumerate(lines)) + "\n"


def main() -> None:
    batch_size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    independent, copies = [], []
    for alternatives in sorted(d for d in ALTERNATIVES.iterdir() if d.is_dir()):
        problem = REPO / "problems" / alternatives.name.replace("_", "-")
        reference = (problem / "solution.py").read_text()
        starter = (problem / "starter.py").read_text()
        sources = {"reference": reference, **{p.stem: p.read_text() for p in sorted(alternatives.glob("*.py"))}}
        independent += [(p.score, f"{problem.name}: {p.a} ~ {p.b}") for p in all_pairs(sources, starter)]
        copies += [
            (p.score, problem.name) for p in all_pairs({"reference": reference, "copy": disguise(reference)}, starter)
        ]
    independent.sort(reverse=True)
    print(
        f"independent solutions: {len(independent)} pairs, median {statistics.median(s for s, _ in independent):.2f}, max {independent[0][0]:.2f}"
    )
    for score, name in independent[:3]:
        print(f"  {score:.2f}  {name}")
    print(
        f"disguised copies: {len(copies)}, min {min(s for s, _ in copies):.2f}, median {statistics.median(s for s, _ in copies):.2f}"
    )
    print(
        f"default threshold (settings.assessments.similarity_threshold): {Settings().assessments.similarity_threshold}"
    )

    references = sorted(REPO.glob("problems/*/solution.py"))
    batch = {f"c{i}": disguise(references[i % len(references)].read_text()) for i in range(batch_size)}
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        flagged = similar_pairs(batch, "", Settings().assessments.similarity_threshold)
        timings.append(time.perf_counter() - started)
    pairs = batch_size * (batch_size - 1) // 2
    print(
        f"batch of {batch_size} submissions ({pairs} pairs, {len(flagged)} flagged): median {statistics.median(timings):.2f} s over 3 runs"
    )


if __name__ == "__main__":
    main()
