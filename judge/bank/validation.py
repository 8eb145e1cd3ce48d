"""`judge problems validate`: a problem package is only as good as its checks' power to tell apart."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field
from rich.markup import escape

from judge.grading import grade_checks
from judge.problem import Problem
from judge.result import Bound, GradeResult
from judge.sandbox.base import Sandbox
from judge.settings import Settings

#: What an author writes where the scaffold (`judge problems new`) left something to fill in.
TODO_MARKER = "TODO(author)"


class Level(StrEnum):
    """How a finding counts: a failed rule fails validation; a warning only says so."""

    OK = "ok"
    FAIL = "fail"
    WARN = "warn"


class Finding(BaseModel):
    """One rule's outcome, in words."""

    level: Level
    text: str


class MutantOutcome(BaseModel):
    """What one mutant scored, and the checks that caught it (those it lost points on)."""

    name: str
    score: float
    max_score: float
    caught_by: list[str]


class MarginSummary(BaseModel):
    """A threshold check's margin on the reference, worst over the seeds graded (expect.record_margin)."""

    check: str
    name: str
    bound: Bound
    threshold: float
    worst_measured: float | None = Field(description="The measured value of the seed with the worst ratio.")
    worst_ratio: float | None = Field(
        description="measured / threshold (threshold / measured for a min bound): 1 is on the threshold."
    )
    seeds: int = Field(description="How many seeds reported this margin.")


class ValidationReport(BaseModel):
    """Findings, the mutant-by-check table and the reference's margins, and whether every rule held."""

    slug: str
    ok: bool = True
    findings: list[Finding] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list, description="Every check, in declared order.")
    mutants: list[MutantOutcome] = Field(default_factory=list)
    idle_checks: list[str] = Field(default_factory=list, description="Checks that catch no mutant.")
    seeds: int = 1
    margins: list[MarginSummary] = Field(default_factory=list)

    def require(self, condition: bool, good: str, bad: str) -> None:
        """Record one rule's outcome."""
        self.ok &= condition
        self.findings.append(Finding(level=Level.OK, text=good) if condition else Finding(level=Level.FAIL, text=bad))

    def warn(self, text: str) -> None:
        """Record something the author should look at that does not fail validation."""
        self.findings.append(Finding(level=Level.WARN, text=text))

    def catches(self, check: str, mutant: str) -> bool:
        """Whether `check` caught the mutant named `mutant`."""
        return any(m.name == mutant and check in m.caught_by for m in self.mutants)

    @property
    def lines(self) -> list[str]:
        """The findings as Rich markup lines, the slug first."""
        style = {Level.OK: "  [green]ok[/]  ", Level.FAIL: "  [red]FAIL[/]", Level.WARN: "  [yellow]warn[/]"}
        return [f"[bold]{self.slug}[/]", *(f"{style[f.level]} {escape(f.text)}" for f in self.findings)]


def validate_problem(
    problem: Problem,
    settings: Settings,
    sandbox: Sandbox,
    hidden: Sequence[Path],
    workers: int = 2,
    seeds: int = 1,
) -> ValidationReport:
    """Grade the reference (twice), the starter and every mutant, and check the rules; candidate
    code sees none of `hidden` (the bank's directories).

    The first reference grade runs alone, so its time is the one compared with the limit; the other
    grades run `workers` at a time (each is a pair of single-threaded processes). With `seeds` > 1 the
    reference is also graded with the run seeds 1 .. seeds-1 (checks draw their inputs from
    `expect.generator`, probes get torch seeded with it): each must score full marks, and each
    threshold check's worst margin over all of them is reported. A package still holding the
    scaffold's TODO_MARKER fails on each such line, ungraded.
    """
    report = ValidationReport(slug=problem.slug, checks=[c.id for c in problem.check_specs], seeds=seeds)
    _find_todos(problem, report)
    if not report.ok:
        # A scaffold still being filled in: its reference is a stub, so grading it would say nothing more.
        return report

    def timed(path: Path, seed: int = 0) -> tuple[GradeResult, float]:
        start = time.monotonic()
        graded = grade_checks(problem, path.read_bytes(), settings, sandbox, hidden, seed=seed)
        return graded.result, time.monotonic() - start

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
        seed_runs = [pool.submit(timed, problem.solution_path, seed) for seed in range(1, seeds)]
        second, starter = second_run.result()[0], starter_run.result()[0]
        mutant_results = [run.result()[0] for run in mutant_runs]
        seeded = [run.result()[0] for run in seed_runs]
    report.require(
        second == first, "two runs of the reference give identical results", "two runs of the reference differ"
    )
    report.require(starter.score == 0, "starter scores 0", f"starter scores {starter.score:g}")
    report.require(bool(problem.mutants), f"{len(problem.mutants)} mutants", "no mutants")
    for mutant, result in zip(problem.mutants, mutant_results):
        lost = [c.id for c in result.checks if c.points < c.max_points]
        report.mutants.append(
            MutantOutcome(name=mutant.stem, score=result.score, max_score=result.max_score, caught_by=lost)
        )
        report.require(
            bool(lost),
            f"mutant {mutant.stem}: {result.score:g}/{result.max_score:g}, caught by {', '.join(lost)}",
            f"mutant {mutant.stem} gets full marks",
        )
    if problem.mutants:
        report.idle_checks = [c for c in report.checks if not any(c in m.caught_by for m in report.mutants)]
        for check in report.idle_checks:
            report.warn(f"check {check} catches no mutant: add a mutant it catches, or drop it")
    for seed, result in enumerate(seeded, 1):
        lost = [f"{c.id} ({c.message})" for c in result.checks if c.points < c.max_points]
        report.require(
            not lost,
            f"reference with seed {seed}: full marks",
            f"reference with seed {seed} scores {result.score:g}/{result.max_score:g}; failing: {', '.join(lost)}",
        )
    report.margins = _worst_margins([first, *seeded])
    if seeds > 1:
        for margin in report.margins:
            ratio = "n/a" if margin.worst_ratio is None else f"{margin.worst_ratio:.3g}"
            relation = "<=" if margin.bound == "max" else ">="
            report.findings.append(
                Finding(
                    level=Level.OK,
                    text=f"margin {margin.check}.{margin.name}: worst ratio {ratio} over {margin.seeds} seeds "
                    f"(measured {margin.worst_measured} {relation} threshold {margin.threshold:g})",
                )
            )
    return report


def _worst_margins(results: Sequence[GradeResult]) -> list[MarginSummary]:
    """Per check and margin name, the seed whose measured value came closest to (or past) the threshold."""
    worst: dict[tuple[str, str], MarginSummary] = {}
    for result in results:
        for check in result.checks:
            for margin in check.margins:
                key = (check.id, margin.name)
                seen = worst.get(key)
                summary = MarginSummary(
                    check=check.id,
                    name=margin.name,
                    bound=margin.bound,
                    threshold=margin.threshold,
                    worst_measured=margin.measured,
                    worst_ratio=margin.ratio,
                    seeds=1 + (seen.seeds if seen else 0),
                )
                if seen is None or _closer(summary.worst_ratio, seen.worst_ratio):
                    worst[key] = summary
                else:
                    seen.seeds = summary.seeds
    return list(worst.values())


def _closer(ratio: float | None, than: float | None) -> bool:
    """Whether `ratio` is nearer the threshold than `than` (an undefined ratio is the worst there is)."""
    if ratio is None:
        return than is not None
    return than is not None and ratio > than


def _find_todos(problem: Problem, report: ValidationReport) -> None:
    """Fail for each line of the package still holding the scaffold's TODO marker, naming its file and line."""
    for path in sorted(p for p in problem.root.rglob("*") if p.is_file()):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if TODO_MARKER in line:
                what = re.sub(r"\s+", " ", line.split(TODO_MARKER, 1)[1]).strip(" :-#\"')")
                report.require(False, "", f"{path.relative_to(problem.root)}:{number}: {TODO_MARKER} {what}")
