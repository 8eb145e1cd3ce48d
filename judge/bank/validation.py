"""`judge problems validate`: a problem package is only as good as its checks' power to tell apart."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from judge.grading import grade_submission
from judge.problem import Problem
from judge.result import GradeResult
from judge.sandbox.base import Sandbox
from judge.settings import Settings


@dataclass
class ValidationReport:
    """Human-readable findings and whether every rule held."""

    slug: str
    ok: bool = True
    lines: list[str] = field(default_factory=list)

    def require(self, condition: bool, good: str, bad: str) -> None:
        """Record one rule's outcome."""
        self.ok &= condition
        self.lines.append(f"  [green]ok[/]   {good}" if condition else f"  [red]FAIL[/] {bad}")


def validate_problem(
    problem: Problem, settings: Settings, sandbox: Sandbox, hidden: Sequence[Path], workers: int = 2
) -> ValidationReport:
    """Grade the reference (twice), the starter and every mutant, and check the rules; candidate
    code sees none of `hidden` (the bank's directories).

    The first reference grade runs alone, so its time is the one compared with the limit; the other
    grades run `workers` at a time (each is a pair of single-threaded processes).
    """
    report = ValidationReport(problem.slug, lines=[f"[bold]{problem.slug}[/]"])

    def timed(path: Path) -> tuple[GradeResult, float]:
        start = time.monotonic()
        result = grade_submission(problem, path.read_bytes(), settings, sandbox, hidden)
        return result, time.monotonic() - start

    first, seconds = timed(problem.solution_path)
    failed = [c.id for c in first.checks if c.points < c.max_points]
    report.require(
        first.score == first.max_score,
        f"reference: {first.score:g}/{first.max_score:g} in {seconds:.1f} s",
        f"reference scores {first.score:g}/{first.max_score:g}; failing: {', '.join(f'{c.id} ({c.message})' for c in first.checks if c.id in failed)}",
    )
    limit = problem.spec.limits.run_timeout_s
    report.require(
        seconds <= limit,
        f"reference within the run limit ({seconds:.1f} s <= {limit:g} s)",
        f"reference took {seconds:.1f} s, over the {limit:g} s run limit",
    )
    with ThreadPoolExecutor(max_workers=workers) as pool:
        second_run, starter_run = pool.submit(timed, problem.solution_path), pool.submit(timed, problem.starter_path)
        mutant_runs = [pool.submit(timed, mutant) for mutant in problem.mutants]
        second, starter = second_run.result()[0], starter_run.result()[0]
        mutant_results = [run.result()[0] for run in mutant_runs]
    report.require(
        second == first, "two runs of the reference give identical results", "two runs of the reference differ"
    )
    report.require(starter.score == 0, "starter scores 0", f"starter scores {starter.score:g}")
    report.require(bool(problem.mutants), f"{len(problem.mutants)} mutants", "no mutants")
    for mutant, result in zip(problem.mutants, mutant_results):
        lost = [c.id for c in result.checks if c.points < c.max_points]
        report.require(
            bool(lost),
            f"mutant {mutant.stem}: {result.score:g}/{result.max_score:g}, caught by {', '.join(lost)}",
            f"mutant {mutant.stem} gets full marks",
        )
    return report
