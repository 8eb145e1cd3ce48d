"""200 submissions over HTTP to `judge serve` + two `judge worker` processes on private Redis,
PostgreSQL and dockerd, with one fault injected per test while submissions are in flight.

Every accepted submission must end with the score `judge grade` gives its file offline (or, for a
Docker outage only, as internal_error: never a wrong score); nothing is lost, nothing is stored twice,
no request is ever answered 500. The tests run in file order and share one stack.
"""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time
from datetime import UTC, datetime

import pytest

from tests.api.support import wait_for
from tests.reliability import report
from tests.reliability.campaign import QUEUE_LIMIT, TIMINGS, Campaign
from tests.reliability.mix import Entry

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

TOTAL = 200
#: Accepted submissions per test; the baseline takes what the others leave of TOTAL.
SIZES = {
    "sigkill": 14,
    "takeover": 2,
    "api_restart": 14,
    "redis_outage": 18,
    "postgres_restart": 14,
    "dockerd_outage": 12,
    "queue_full": QUEUE_LIMIT,
}
BASELINE = TOTAL - sum(SIZES.values())
FINISH_TIMEOUT_S = 240
#: What the issue allows between a worker's death and the last result, beyond heartbeat timeout + one grade.
TAKEOVER_SLACK_S = 15.0


def batch(campaign: Campaign, size: int, sandboxed: int, offset: int = 0) -> list[Entry]:
    """`sandboxed` code/attack/timeout/seed entries (cycled from `offset`), the rest quiz entries."""
    heavy = [e for e in campaign.entries if e.kind != "quiz"]
    quiz = [e for e in campaign.entries if e.kind == "quiz"]
    chosen = list(itertools.islice(itertools.cycle(heavy), offset, offset + sandboxed))
    chosen += list(itertools.islice(itertools.cycle(quiz), offset, offset + size - sandboxed))
    return chosen


def submit_all(campaign: Campaign, entries: list[Entry], phase: str) -> list[str]:
    """Submit each entry (retrying as a careful client does); the accepted ids."""
    return [campaign.submit(entry, phase) for entry in entries]


def in_background(work) -> threading.Thread:
    """Run `work` in a thread, re-raising its failure on join (see joined)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised by joined()
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors
    thread.start()
    return thread


def joined(thread: threading.Thread, timeout_s: float = 300) -> None:
    """Join a background thread and re-raise what failed in it."""
    thread.join(timeout_s)
    assert not thread.is_alive(), "background submissions did not finish"
    if thread.errors:
        raise thread.errors[0]


def finish_and_check(campaign: Campaign, ids: list[str], phase: str, started: float, fault: str, **check) -> dict:
    """Wait for every id, compare with offline grades, record the figures."""
    campaign.wait_finished(ids, FINISH_TIMEOUT_S)
    outcomes = campaign.check(ids, **check)
    report.note(
        phase,
        f"{len(ids)} submissions, fault: {fault}; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items()))
        + "; lost: 0",
        seconds=time.monotonic() - started,
    )
    return outcomes


def _wait_grading(campaign: Campaign, ids: list[str]) -> int:
    return wait_for(
        lambda: campaign.running_worker_pid(ids), 120, "a sandboxed submission to start grading", poll_s=0.2
    )


def test_baseline_load(campaign):
    started = time.monotonic()
    heavy = sum(e.kind != "quiz" for e in campaign.entries)
    ids = submit_all(campaign, batch(campaign, BASELINE, sandboxed=heavy), "baseline")
    outcomes = finish_and_check(campaign, ids, "baseline", started, "none")
    assert sum(outcomes.values()) == BASELINE


def test_sigkill_of_a_worker_mid_grade(campaign):
    started = time.monotonic()
    stack = campaign.stack
    ids = submit_all(campaign, batch(campaign, SIZES["sigkill"], sandboxed=5), "sigkill")
    group = os.getpgid(_wait_grading(campaign, ids))
    victim = next(name for name, w in stack.workers.items() if w.process is not None and w.process.pid == group)
    time.sleep(0.5)
    stack.workers[victim].kill(signal.SIGKILL)
    campaign.faults.append(f"SIGKILL worker {victim}")
    time.sleep(2)
    stack.start_worker(victim)
    outcomes = finish_and_check(campaign, ids, "sigkill", started, f"SIGKILL of worker {victim} mid-grade")
    assert outcomes["regraded"] >= 1, "the killed worker's submission was regraded"


def test_takeover_of_a_killed_workers_grade(campaign):
    """The grade of a worker killed with its process group is queued again once its heartbeat is
    stale (the API's sweeper), not when Redis redelivers its message; that message, redelivered
    after the visibility timeout, is acknowledged without a third grade."""
    started = time.monotonic()
    stack = campaign.stack
    timings = {name: float(value) for name, value in TIMINGS.items()}
    ids = submit_all(campaign, batch(campaign, SIZES["takeover"], sandboxed=1), "takeover")
    victim_id = next(i for i in ids if campaign.accepted[i].entry.kind != "quiz")
    group = os.getpgid(_wait_grading(campaign, [victim_id]))
    victim = next(name for name, w in stack.workers.items() if w.process is not None and w.process.pid == group)
    time.sleep(0.5)
    killed_at = datetime.now(UTC).replace(tzinfo=None)  # the database keeps naive UTC
    stack.workers[victim].kill(signal.SIGKILL)
    campaign.faults.append(f"SIGKILL worker {victim} (takeover time)")
    assert campaign.messages_in_redis(victim_id) == 1, "the dead worker's message is left unacknowledged in Redis"
    time.sleep(2)
    stack.start_worker(victim)
    outcomes = finish_and_check(
        campaign, ids, "takeover", started, f"SIGKILL of worker {victim} mid-grade, takeover timed"
    )
    rows = campaign.grades(ids)
    taken_over = rows[victim_id]
    assert taken_over.attempts == 2 and outcomes["regraded"] == 1, rows
    takeover_s = (taken_over.started_at - killed_at).total_seconds()
    last_result_s = (max(row.finished_at for row in rows.values()) - killed_at).total_seconds()
    bound_s = timings["heartbeat_timeout_s"] + taken_over.grading_seconds + TAKEOVER_SLACK_S
    # Redis could have redelivered the message no sooner than the visibility timeout after the grade began.
    assert takeover_s < timings["celery_visibility_timeout_s"] - 2, (
        f"taken over {takeover_s:.1f} s after the kill: not by heartbeat"
    )
    assert last_result_s <= bound_s, (
        f"the last result came {last_result_s:.1f} s after the kill; at most {bound_s:.1f} s allowed"
    )
    # The dead message comes back after the visibility timeout: it must be acknowledged without work.
    wait_for(
        lambda: campaign.messages_in_redis(victim_id) == 0,
        timings["celery_visibility_timeout_s"] + 30,
        "the dead message's redelivery",
    )
    redelivered_s = (datetime.now(UTC).replace(tzinfo=None) - killed_at).total_seconds()
    again = campaign.grades([victim_id])[victim_id]
    assert (again.status, again.attempts, again.finished_at) == ("completed", 2, taken_over.finished_at), (
        "graded a third time"
    )
    campaign.check(ids)
    report.note(
        "takeover",
        f"kill -> attempt 2 started {takeover_s:.1f} s, kill -> last result {last_result_s:.1f} s (bound: heartbeat timeout "
        f"{timings['heartbeat_timeout_s']:g} s + one grade {taken_over.grading_seconds:.1f} s + {TAKEOVER_SLACK_S:g} s = {bound_s:.1f} s, "
        f"sweep every {timings['sweep_interval_s']:g} s); the dead message was redelivered and acknowledged without work "
        f"within {redelivered_s:.0f} s of the kill; lost: 0, graded twice into different results: 0",
    )


def test_api_restart(campaign):
    started = time.monotonic()
    stack = campaign.stack
    entries = batch(campaign, SIZES["api_restart"], sandboxed=4, offset=3)
    ids = submit_all(campaign, entries[:7], "api_restart")
    stack.api.kill(signal.SIGKILL)
    campaign.faults.append("SIGKILL + restart of the API")
    later: list[str] = []
    thread = in_background(lambda: later.extend(submit_all(campaign, entries[7:], "api_restart")))
    time.sleep(1.0)
    stack.start_api()
    joined(thread)
    finish_and_check(campaign, ids + later, "api_restart", started, "API SIGKILLed and restarted while submitting")


def test_redis_outage(campaign):
    started = time.monotonic()
    redis = campaign.stack.services.redis
    entries = batch(campaign, SIZES["redis_outage"], sandboxed=5, offset=5)
    ids = submit_all(campaign, entries[:8], "redis_outage")
    before = campaign.answers.copy()
    redis.stop()
    campaign.faults.append("Redis stopped 10 s")
    stopped_at = time.monotonic()
    later: list[str] = []
    thread = in_background(lambda: later.extend(submit_all(campaign, entries[8:], "redis_outage")))
    time.sleep(max(0.0, 10.0 - (time.monotonic() - stopped_at)))
    redis.start()
    joined(thread)
    during = campaign.answers - before
    assert set(during) <= {"POST 202", "POST 503"}, f"answers while Redis was down: {dict(during)}"
    outcomes = finish_and_check(
        campaign, ids + later, "redis_outage", started, f"Redis down 10 s (answers meanwhile: {dict(during)})"
    )
    assert sum(outcomes.values()) == SIZES["redis_outage"]


def test_postgres_restart(campaign):
    started = time.monotonic()
    postgres = campaign.stack.services.postgres
    entries = batch(campaign, SIZES["postgres_restart"], sandboxed=5, offset=7)
    ids = submit_all(campaign, entries[:8], "postgres_restart")
    _wait_grading(campaign, ids)
    later: list[str] = []
    thread = in_background(lambda: later.extend(submit_all(campaign, entries[8:], "postgres_restart")))
    postgres.restart()
    campaign.faults.append("PostgreSQL restarted")
    joined(thread)
    finish_and_check(
        campaign, ids + later, "postgres_restart", started, "PostgreSQL restarted (fast shutdown) mid-grade"
    )
    assert campaign.stack.api.alive()
    assert all(w.alive() for w in campaign.stack.workers.values())


def test_dockerd_outage(campaign):
    started = time.monotonic()
    dockerd = campaign.stack.services.dockerd
    ids = submit_all(campaign, batch(campaign, SIZES["dockerd_outage"], sandboxed=6, offset=2), "dockerd_outage")
    _wait_grading(campaign, ids)
    time.sleep(1.0)
    dockerd.stop()
    campaign.faults.append("dockerd stopped")
    time.sleep(2.0)
    dockerd.start()
    outcomes = finish_and_check(
        campaign,
        ids,
        "dockerd_outage",
        started,
        "the workers' Docker engine stopped mid-grade and restarted",
        judge_fault_allowed=True,
    )
    assert outcomes["regraded"] + outcomes["internal_error"] >= 1, f"no submission was caught by the outage: {outcomes}"


def test_queue_full(campaign):
    started = time.monotonic()
    stack = campaign.stack
    for worker in stack.workers.values():
        worker.kill(signal.SIGTERM)
    campaign.faults.append("both workers stopped; queue filled past its limit")
    assert campaign.row_count() == len(campaign.accepted), "rows without an accepted submission"
    quiz = itertools.cycle([e for e in campaign.entries if e.kind == "quiz"])
    ids: list[str] = []
    refused_then = 0
    while campaign.rejected_full < 6:
        submission_id = campaign.submit(next(quiz), "queue_full", give_up_when_full=True)
        if submission_id is not None:
            assert campaign.rejected_full == refused_then, "accepted after the queue was reported full"
            ids.append(submission_id)
        refused_then = campaign.rejected_full
        assert len(ids) <= QUEUE_LIMIT, "the queue took more than its limit"
    assert len(ids) == QUEUE_LIMIT
    assert campaign.row_count() == len(campaign.accepted), "a refused (503) submission was stored"
    for name in list(stack.workers):
        stack.start_worker(name)
    finish_and_check(
        campaign,
        ids,
        "queue_full",
        started,
        f"queue filled: {QUEUE_LIMIT} accepted, {campaign.rejected_full} answered 503 + Retry-After",
    )


def test_every_submission_accounted_for(campaign):
    ids = list(campaign.accepted)
    assert len(ids) == TOTAL
    assert campaign.row_count() == TOTAL, "stored submissions differ from accepted ones"
    statuses = campaign.statuses(ids)
    assert all(s in ("completed", "failed") for s, _, _ in statuses.values())
    assert not campaign.server_errors, campaign.server_errors
    report.note(
        "total",
        f"{TOTAL} submissions accepted and finished, {len(campaign.faults)} faults injected, "
        f"answers: {dict(sorted(campaign.answers.items()))}, lost: 0, 500s: 0",
    )
