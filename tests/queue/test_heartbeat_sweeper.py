"""Taking over grades whose grader stopped beating: the sweep, its single winner, the attempt cap, a
hung grader's late result, duplicates done without work, and the embedded pool's dead threads.

On a SQLite file and (integration) on real PostgreSQL, with the FakeSandbox; no other process.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from judge.bank.loader import ProblemBank
from judge.queue import jobs
from judge.queue.dispatch import Dispatcher, EmbeddedDispatcher, QueueUnavailable, sweep
from judge.queue.jobs import GradeStep, WorkerContext
from judge.result import GradeResult, Verdict
from judge.sandbox.base import EventSink, SandboxJob, SandboxRun
from judge.settings import Settings
from judge.storage import submissions
from judge.storage.db import make_engine, migrate, session_factory
from judge.storage.models import Submission, utcnow
from judge.storage.submissions import SWEEP_LOCK_ID, NewSubmission
from tests.api.support import FakeSandbox, fresh_postgres_database, service_url, wait_for
from tests.conftest import PROBLEMS

TIMEOUT_S = 0.3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def settings(request, tmp_path) -> Settings:
    """Fast heartbeats on an empty database of each kind."""
    values = {
        "problems": {"dirs": [PROBLEMS]},
        "storage": {"data_dir": tmp_path / "data"},
        "queue": {"heartbeat_interval_s": 0.05, "heartbeat_timeout_s": TIMEOUT_S},
    }
    if request.param == "sqlite":
        yield Settings(**values)
        return
    for url in fresh_postgres_database(service_url("postgres")):
        yield Settings(**{**values, "storage": {**values["storage"], "database_url": url}})


@pytest.fixture
def sessions(settings) -> sessionmaker[Session]:
    """Sessions on the migrated database."""
    engine = make_engine(settings)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


class Recording(Dispatcher):
    """A queue that only remembers what it was given."""

    def __init__(self) -> None:
        self.grades: list[str] = []
        self.uploads: list[str] = []

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    def enqueue_grade(self, submission_id: str, priority: int = 0) -> None:
        """Remember the grade."""
        self.grades.append(submission_id)

    def enqueue_callback(self, submission_id: str) -> None:
        """Callbacks are not swept."""

    def enqueue_upload(self, upload_id: str) -> None:
        """Remember the upload."""
        self.uploads.append(upload_id)

    def unavailable_reason(self) -> str | None:
        """Always ready."""
        return None


def _new(sessions, source: bytes = b"# fine\n") -> str:
    with sessions() as session:
        return submissions.create(session, NewSubmission(problem="vae-mnist", source=source))[0].id


def _claim(sessions, submission_id: str, worker: str = "doomed", max_tries: int = 3) -> submissions.Claim:
    with sessions() as session:
        return submissions.claim(
            session, submission_id, worker=worker, max_tries=max_tries, heartbeat_timeout_s=TIMEOUT_S
        )


def _age_heartbeat(sessions, submission_id: str, seconds: float = 60) -> None:
    """As a grader that died `seconds` ago left it."""
    with sessions() as session:
        row = session.get(Submission, submission_id)
        row.heartbeat_at = utcnow() - timedelta(seconds=seconds)
        session.commit()


def _row(sessions, submission_id: str) -> Submission:
    with sessions() as session:
        return submissions.get(session, submission_id)


def test_sweep_queues_again_only_grades_whose_heartbeat_is_stale(sessions):
    dead, alive, waiting = _new(sessions, b"1"), _new(sessions, b"2"), _new(sessions, b"3")
    _claim(sessions, dead)
    _claim(sessions, alive)
    _age_heartbeat(sessions, dead)
    queue = Recording()
    # The dead grade's heartbeat is a minute old; a live one's is fresh, but on a loaded machine maybe not
    # within TIMEOUT_S of the claim: sweep for stale at 30 s, between the two.
    assert sweep(queue, sessions, 30) == [dead]
    assert queue.grades == [dead]
    row = _row(sessions, dead)
    assert (row.status, row.attempts, row.heartbeat_at) == ("queued", 1, None)
    assert row.dispatched_at is not None, "the sweep recorded that the queue took it"
    assert _row(sessions, alive).status == "running"
    assert _row(sessions, waiting).status == "queued"
    assert sweep(queue, sessions, 30) == [] and queue.grades == [dead], "a grade is swept once"


def test_a_swept_grade_left_undispatched_when_the_queue_is_down(sessions):
    dead = _new(sessions)
    _claim(sessions, dead)
    _age_heartbeat(sessions, dead)

    class Down(Recording):
        def enqueue_grade(self, submission_id: str, priority: int = 0) -> None:
            """The broker does not answer."""
            raise QueueUnavailable("down")

    assert sweep(Down(), sessions, TIMEOUT_S) == [dead]
    with sessions() as session:
        assert submissions.undispatched(session) == [dead], "the redispatch loop sends it once the queue is back"


def test_the_dead_attempt_stores_nothing_after_the_sweep(sessions):
    submission_id = _new(sessions)
    assert _claim(sessions, submission_id).try_number == 1
    _age_heartbeat(sessions, submission_id)
    sweep(Recording(), sessions, TIMEOUT_S)
    with sessions() as session:
        assert not submissions.heartbeat(session, submission_id, 1)
        late = GradeResult(problem="vae-mnist", verdict=Verdict.WRONG_ANSWER, score=0, max_score=15, checks=[])
        assert not submissions.complete(session, submission_id, 1, late, 1.0)
        assert not submissions.fail(session, submission_id, 1, "late", None)
    assert _claim(sessions, submission_id, worker="next").try_number == 2


def test_racing_sweepers_release_a_grade_once(sessions):
    dead = [_new(sessions, str(n).encode()) for n in range(5)]
    for submission_id in dead:
        _claim(sessions, submission_id)
        _age_heartbeat(sessions, submission_id)
    queues = [Recording() for _ in range(4)]
    barrier = threading.Barrier(len(queues))

    def race(queue: Recording) -> None:
        barrier.wait()
        sweep(queue, sessions, TIMEOUT_S)

    threads = [threading.Thread(target=race, args=(queue,)) for queue in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [submission_id for queue in queues for submission_id in queue.grades]
    assert sorted(sent) == sorted(dead)


@pytest.mark.integration
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)  # SQLite has one writer at a time anyway
def test_a_second_sweeper_stands_aside_while_one_holds_the_lock(sessions):
    dead = _new(sessions)
    _claim(sessions, dead)
    _age_heartbeat(sessions, dead)
    with sessions() as holder:
        assert holder.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": SWEEP_LOCK_ID})
        with sessions() as other:
            assert submissions.release_stale(other, heartbeat_timeout_s=TIMEOUT_S) is None
        assert _row(sessions, dead).status == "running"
        holder.commit()
    with sessions() as session:
        assert submissions.release_stale(session, heartbeat_timeout_s=TIMEOUT_S) == [dead]


def test_kills_count_as_judge_failures_up_to_max_attempts(sessions, settings):
    context = WorkerContext(
        settings.model_copy(update={"queue": settings.queue.model_copy(update={"max_tries": 2})}),
        sessions,
        FakeSandbox(),
        ProblemBank(settings),
    )
    submission_id = _new(sessions)
    for attempt in (1, 2):  # each attempt's worker is killed mid-grade, then swept
        assert _claim(sessions, submission_id, max_tries=2).try_number == attempt
        _age_heartbeat(sessions, submission_id)
        assert sweep(Recording(), sessions, TIMEOUT_S) == [submission_id]
    assert jobs.grade(context, submission_id) == GradeStep(callback_due=True)
    row = _row(sessions, submission_id)
    assert (row.status, row.verdict, row.score, row.attempts) == ("failed", "internal_error", None, 2)


def test_a_duplicate_of_a_live_grade_is_done_without_work(sessions, settings):
    context = WorkerContext(settings, sessions, FakeSandbox(), ProblemBank(settings))
    submission_id = _new(sessions)
    _claim(sessions, submission_id, worker="alive")
    assert jobs.grade(context, submission_id) == GradeStep(), "no retry: the sweeper watches the live grader"
    row = _row(sessions, submission_id)
    assert (row.status, row.attempts, row.worker) == ("running", 1, "alive")
    assert context.sandbox.runs == {}


class Stalled(FakeSandbox):
    """Grades nothing until let go, then reports no check at all (a result unlike the real one)."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.go = threading.Event(), threading.Event()

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Wait to be let go."""
        self.started.set()
        assert self.go.wait(30)
        return SandboxRun(events=[], finished=True, timed_out=False)


def test_a_hung_grader_is_taken_over_and_its_late_result_ignored(sessions, settings):
    # The hung process's heartbeat would come only after 30 s: to everybody else it stopped.
    stalled = Stalled()
    hung = WorkerContext(
        settings.model_copy(update={"queue": settings.queue.model_copy(update={"heartbeat_interval_s": 30.0})}),
        sessions,
        stalled,
        ProblemBank(settings),
        worker="hung:1",
    )
    healthy = WorkerContext(settings, sessions, FakeSandbox(), ProblemBank(settings), worker="healthy:2")
    submission_id = _new(sessions)
    steps: list[GradeStep] = []
    hung_thread = threading.Thread(target=lambda: steps.append(jobs.grade(hung, submission_id)))
    hung_thread.start()
    try:
        assert stalled.started.wait(10)
        time.sleep(TIMEOUT_S + 0.1)
        queue = Recording()
        assert sweep(queue, sessions, TIMEOUT_S) == [submission_id]
        assert jobs.grade(healthy, queue.grades[0]) == GradeStep(callback_due=True)
        done = _row(sessions, submission_id)
        assert (done.status, done.verdict, done.attempts, done.worker) == ("completed", "accepted", 2, "healthy:2")
    finally:
        stalled.go.set()
        hung_thread.join(30)
    assert steps == [GradeStep(callback_due=False)], "the hung attempt's result was dropped"
    after = _row(sessions, submission_id)
    assert (after.status, after.verdict, after.score, after.attempts) == ("completed", "accepted", done.score, 2)
    # The dead attempt's message, redelivered later, finds it finished: done without a third grade.
    assert jobs.grade(healthy, submission_id) == GradeStep()
    assert _row(sessions, submission_id).attempts == 2


class ExitsOnce(FakeSandbox):
    """Its first run raises SystemExit in the grading thread (which `except Exception` lets through)."""

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Exit the first time, grade as the FakeSandbox afterwards."""
        with self._lock:
            first = not self.runs
            self.runs["exits"] += 1
        if first:
            raise SystemExit(3)
        return super().run(job, on_event)


def test_embedded_pool_replaces_a_dead_grading_thread_and_the_sweep_regrades(sessions, settings):
    queue = EmbeddedDispatcher(WorkerContext(settings, sessions, ExitsOnce(), ProblemBank(settings)), workers=1)
    queue.start()
    try:
        submission_id = _new(sessions)
        first = queue.pool._threads[0]
        queue.enqueue_grade(submission_id)
        wait_for(lambda: not first.is_alive() and queue.pool.alive(), 10, "the grading thread to die and be replaced")
        assert _row(sessions, submission_id).status == "running", "the dead thread's grade is left running"
        time.sleep(TIMEOUT_S + 0.1)
        assert sweep(queue, sessions, TIMEOUT_S) == [submission_id]
        done = wait_for(lambda: (row := _row(sessions, submission_id)).status == "completed" and row, 10, "the regrade")
        assert (done.verdict, done.attempts) == ("accepted", 2)
        assert queue.unavailable_reason() is None
    finally:
        queue.stop()
