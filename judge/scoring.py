"""Turning a run's check events into a scored result with a verdict."""

from __future__ import annotations

from judge.harness.events import CheckEvent
from judge.problem import CheckSpec, Problem
from judge.result import CheckResult, GradeResult, Outcome, Verdict


def check_results(specs: list[CheckSpec], events: list[CheckEvent], timed_out: bool) -> list[CheckResult]:
    """One result per declared check, in declared order; a check without an event never passes."""
    by_id = {event.id: event for event in events}
    results = []
    for spec in specs:
        event = by_id.get(spec.id)
        if event is None:
            outcome = Outcome.TIMEOUT if timed_out else Outcome.FAILED
            message = "the run's time limit ended before this check" if timed_out else "no result for this check"
            series = []
        else:
            outcome, message, series = event.outcome, event.message, event.series
        results.append(
            CheckResult(
                id=spec.id,
                category=spec.category,
                outcome=outcome,
                points=spec.points if outcome is Outcome.PASSED else 0.0,
                max_points=spec.points,
                message=message,
                series=series,
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
