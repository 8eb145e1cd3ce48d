"""Scoring: a check without a result never passes, and the verdict follows fixed rules."""

from judge.harness.events import CheckEvent
from judge.problem import CheckSpec
from judge.result import CheckResult, Outcome, Verdict
from judge.scoring import check_results, verdict_of

SPECS = [CheckSpec(id="a", category="shape", points=1), CheckSpec(id="b", category="loss", points=2)]


def event(check_id, outcome, limit=None):
    return CheckEvent(id=check_id, outcome=outcome, duration_s=0.1, limit=limit)


def result(outcome, points, max_points=1):
    return CheckResult(id="x", category="c", outcome=outcome, points=points, max_points=max_points)


def test_missing_events_fail_or_time_out():
    results = check_results(SPECS, [event("a", Outcome.PASSED)], timed_out=False)
    assert [(r.outcome, r.points) for r in results] == [(Outcome.PASSED, 1), (Outcome.FAILED, 0)]
    assert results[1].message == "no result for this check"
    timed = check_results(SPECS, [], timed_out=True)
    assert all(r.outcome is Outcome.TIMEOUT and r.points == 0 for r in timed)


def test_results_follow_declared_order_and_ignore_undeclared_events():
    results = check_results(
        SPECS, [event("zzz", Outcome.PASSED), event("b", Outcome.PASSED), event("a", Outcome.FAILED)], False
    )
    assert [(r.id, r.points) for r in results] == [("a", 0), ("b", 2)]


def test_verdicts():
    assert verdict_of([result(Outcome.PASSED, 1)], memory_hit=False) is Verdict.ACCEPTED
    assert verdict_of([result(Outcome.PASSED, 1), result(Outcome.FAILED, 0)], False) is Verdict.PARTIAL
    assert verdict_of([result(Outcome.FAILED, 0)], False) is Verdict.WRONG_ANSWER
    assert verdict_of([result(Outcome.ERROR, 0), result(Outcome.FAILED, 0)], False) is Verdict.RUNTIME_ERROR
    assert verdict_of([result(Outcome.PASSED, 1), result(Outcome.TIMEOUT, 0)], False) is Verdict.TIME_LIMIT
    assert verdict_of([result(Outcome.ERROR, 0), result(Outcome.TIMEOUT, 0)], True) is Verdict.MEMORY_LIMIT
    assert verdict_of([result(Outcome.PASSED, 1)], memory_hit=True) is Verdict.ACCEPTED
