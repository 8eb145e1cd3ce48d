"""Turning a run's check events into a scored result with a verdict."""

from __future__ import annotations

from judge.harness.events import CheckEvent
from judge.problem import CheckSpec, Problem
from judge.result import CheckResult, GradeResult, Outcome, Verdict
from judge.syntax import SyntaxProblem


def check_results(specs: list[CheckSpec], events: list[CheckEvent], timed_out: bool) -> list[CheckResult]:
    """One result per declared check, in declared order; a check without an event never passes."""
    by_id = {event.id: event for event in events}
    results = []
    for spec in specs:
        event = by_id.get(spec.id)
        if event is None:
            outcome = Outcome.TIMEOUT if timed_out else Outcome.FAILED
            message = "the run's time limit ended before this check" if timed_out else "no result for this check"
            series, margins = [], []
        else:
            outcome, message, series, margins = event.outcome, event.message, event.series, event.margins
        results.append(
            CheckResult(
                id=spec.id,
                category=spec.category,
                outcome=outcome,
                points=spec.points if outcome is Outcome.PASSED else 0.0,
                max_points=spec.points,
                message=message,
                series=series,
                margins=margins,
            )
        )
    return results


def verdict_of(results: list[CheckResult], memory_hit: bool) -> Verdict:
    """Full marks: accepted; else the first limit hit; else partial, runtime error or wrong answer."""
    score = sum(r.points for r in results)
    max_score = sum(r.max_points for r in results)
    if score >= max_score:
        return Verdict.ACCEPTED
    if memory_hit:
        return Verdict.MEMORY_LIMIT
    if any(r.outcome is Outcome.TIMEOUT for r in results):
        return Verdict.TIME_LIMIT
    if score > 0:
        return Verdict.PARTIAL
    if any(r.outcome is Outcome.ERROR for r in results):
        return Verdict.RUNTIME_ERROR
    return Verdict.WRONG_ANSWER


def score(problem: Problem, results: list[CheckResult], memory_hit: bool = False) -> GradeResult:
    """The graded result of one submission."""
    return GradeResult(
        problem=problem.slug,
        verdict=verdict_of(results, memory_hit),
        score=sum(r.points for r in results),
        max_score=sum(r.max_points for r in results),
        checks=results,
    )


def compile_error(problem: Problem, syntax: SyntaxProblem) -> GradeResult:
    """The result of a file that does not compile: no check ran, each scores nothing, and the one
    problem is reported once (verdict compile_error), not as an error in every check."""
    results = [
        CheckResult(
            id=spec.id,
            category=spec.category,
            outcome=Outcome.ERROR,
            points=0.0,
            max_points=spec.points,
            message="not run: the file does not compile",
        )
        for spec in problem.check_specs
    ]
    return GradeResult(
        problem=problem.slug,
        verdict=Verdict.COMPILE_ERROR,
        score=0.0,
        max_score=sum(r.max_points for r in results),
        checks=results,
        compile_error=syntax,
    )
