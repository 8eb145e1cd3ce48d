"""Similarity between candidates: disguised copies are flagged, independent solutions and the starter are not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from judge.settings import Settings
from judge.similarity import all_pairs, similar_pairs

REPO = Path(__file__).resolve().parent.parent
ALTERNATIVES = REPO / "tests" / "problems" / "alternatives"
THRESHOLD = Settings().assessments.similarity_threshold


class _Rename(ast.NodeTransformer):
    """Renames every variable and argument a candidate defines, as someone hiding a copy would."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if isinstance(node.ctx, ast.Store) or node.id in self.names:
            node.id = self.names.setdefault(node.id, f"renamed_{len(self.names)}")
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        if node.arg != "self":
            node.arg = self.names.setdefault(node.arg, f"renamed_{len(self.names)}")
        return node


def disguise(source: str) -> str:
    """The same program with names renamed, reformatted by ast.unparse (comments dropped), and new comments added."""
    lines = ast.unparse(_Rename().visit(ast.parse(source))).splitlines()
    return "\n".join(line + ("  # my own idea" if i % 3 == 0 else "") for i, line in enumerate(lines)) + "\n"


def seed_problems_with_alternatives() -> list[Path]:
    return [REPO / "problems" / d.name.replace("_", "-") for d in sorted(ALTERNATIVES.iterdir()) if d.is_dir()]


@pytest.mark.parametrize("problem", seed_problems_with_alternatives(), ids=lambda p: p.name)
def test_a_disguised_copy_is_flagged_and_independent_solutions_are_not(problem):
    reference = (problem / "solution.py").read_text()
    sources = {"reference": reference, "copy": disguise(reference)}
    sources.update(
        {p.stem: p.read_text() for p in sorted((ALTERNATIVES / problem.name.replace("-", "_")).glob("*.py"))}
    )
    pairs = similar_pairs(sources, (problem / "starter.py").read_text(), THRESHOLD)
    assert [(p.a, p.b) for p in pairs] == [("copy", "reference")]
    assert pairs[0].score >= THRESHOLD and pairs[0].a_lines and pairs[0].b_lines


def test_code_equal_to_the_starter_is_never_flagged():
    problem = REPO / "problems" / "vae-mnist"
    starter = (problem / "starter.py").read_text()
    reference = (problem / "solution.py").read_text()
    pairs = all_pairs({"a": starter, "b": starter, "c": reference}, starter)
    assert {(p.a, p.b): p.score for p in pairs} == {("a", "b"): 0, ("a", "c"): 0, ("b", "c"): 0}
    assert similar_pairs({"a": starter, "b": starter + "\n# done\n"}, starter, 0.0) == []


def test_shared_starter_code_does_not_count_but_shared_own_code_does():
    starter = "import torch\n\n\ndef helper(x):\n    return torch.softmax(x * 2.0, dim=-1) + torch.tanh(x).mean()\n\n\ndef solve(x):\n    raise NotImplementedError\n"
    own = "def solve(x):\n    y = helper(x).cumsum(0)\n    return torch.where(y > 0.5, y.log1p(), -y.expm1()).sum(dim=0, keepdim=True)\n"
    different = "def solve(x):\n    total = 0\n    for value in x.flatten().tolist():\n        total += value ** 3\n    return torch.tensor([total])\n"
    head = starter.split("def solve")[0]
    pairs = all_pairs({"same1": head + own, "same2": head + own, "other": head + different}, starter)
    scores = {(p.a, p.b): p.score for p in pairs}
    assert scores[("same1", "same2")] == 1.0
    assert scores[("other", "same1")] < THRESHOLD and scores[("other", "same2")] < THRESHOLD


def test_pairs_are_sorted_by_score_with_line_ranges_of_the_shared_code():
    reference = (REPO / "problems" / "dcgan-mnist" / "solution.py").read_text()
    lines = reference.splitlines()
    cut = lines.index("", len(lines) // 2)
    half = "\n".join(lines[:cut]) + "\n"
    pairs = similar_pairs({"full": reference, "copy": disguise(reference), "half": half}, "", 0.0)
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)
    assert all(0 <= p.score <= 1 and p.score == max(p.a_fraction, p.b_fraction) for p in pairs)
    full_half = next(p for p in pairs if {p.a, p.b} == {"full", "half"})
    # half is wholly inside full: all of half is shared, from its first line to its last.
    assert full_half.b_fraction == 1.0 and full_half.a_fraction < 0.9
    assert [(r.start, r.end) for r in full_half.b_lines] == [(1, cut)]
    assert full_half.a_lines[0].start == 1
    assert str(full_half).startswith("full~half ")


def test_threshold_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        similar_pairs({}, "", 1.5)
