"""Handing submissions and problem uploads to the queue, whichever it is, and recovering what a crash
left behind: at start-up, after a broker restart, and (HeartbeatSweeper) whenever a job stops beating."""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from judge.bank.loader import ProblemBank
from judge.errors import JudgeError
from judge.queue.embedded import CALLBACK, GRADE, UPLOAD, EmbeddedPool
from judge.queue.jobs import WorkerContext
from judge.sandbox.base import Sandbox
from judge.sandbox.pool import pooled
from judge.settings import Settings
from judge.storage import submissions, uploads
from judge.storage.models import utcnow
from judge.storage.submissions import NORMAL_PRIORITY

log = logging.getLogger(__name__)


class QueueUnavailable(JudgeError):
    """The queue did not take the job (its broker is down); the submission stays queued in the database."""


class Dispatcher(abc.ABC):
    """Where the API sends grade, callback and upload jobs."""

    @abc.abstractmethod
    def start(self) -> None:
        """Start whatever runs in this process."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop it."""

    @abc.abstractmethod
    def enqueue_grade(self, submission_id: str, priority: int = NORMAL_PRIORITY) -> None:
        """Queue grading one submission, taken before waiting ones of lower `priority` (submissions.priority);
        QueueUnavailable when the queue is down."""

    @abc.abstractmethod
    def enqueue_callback(self, submission_id: str) -> None:
        """Queue delivering one submission's result; QueueUnavailable when the queue is down."""

    @abc.abstractmethod
    def enqueue_upload(self, upload_id: str) -> None:
        """Queue validating one uploaded problem package; QueueUnavailable when the queue is down."""

    @abc.abstractmethod
    def unavailable_reason(self) -> str | None:
        """Why the queue cannot take work right now, or None when it can."""

    def broker_epoch(self) -> str | None:
        """An id of the broker's current run, which changes when it restarts (and may have lost every
        queued job); None when unknown or the queue keeps no jobs outside this process."""
        return None


class EmbeddedDispatcher(Dispatcher):
    """Grades in this process's thread pool."""

    def __init__(self, context: WorkerContext, workers: int) -> None:
        self.pool = EmbeddedPool(context, workers)

    def start(self) -> None:
        """Start the grading threads and the sandbox's warm pool."""
        self.pool.context.sandbox.open()
        self.pool.start()

    def stop(self) -> None:
        """Stop the grading threads, then destroy the warm sandboxes."""
        self.pool.stop()
        self.pool.context.sandbox.close()

    def enqueue_grade(self, submission_id: str, priority: int = NORMAL_PRIORITY) -> None:
        """Schedule the grade in-process."""
        self.pool.submit(GRADE, submission_id, priority=priority)

    def enqueue_callback(self, submission_id: str) -> None:
        """Schedule the callback in-process."""
        self.pool.submit(CALLBACK, submission_id)

    def enqueue_upload(self, upload_id: str) -> None:
        """Schedule the validation in-process."""
        self.pool.submit(UPLOAD, upload_id)

    def unavailable_reason(self) -> str | None:
        """Not ready when a grading thread died."""
        return None if self.pool.alive() else "the embedded grading threads are not running"


class CeleryDispatcher(Dispatcher):
    """Sends tasks to Celery workers over Redis."""

    def __init__(self, settings: Settings) -> None:
        from judge.queue.celery_app import create_celery

        self.settings = settings
        self.app = create_celery(settings)

    def start(self) -> None:
        """Nothing runs in the API process."""

    def stop(self) -> None:
        """Close the broker connections."""
        self.app.close()

    def _send(self, task: str, job_id: str, broker_priority: int | None = None) -> None:
        try:
            self.app.send_task(
                task,
                args=[job_id],
                priority=broker_priority,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception as exc:  # kombu raises OperationalError and friends when Redis is down
            raise QueueUnavailable(f"the queue's broker did not answer: {type(exc).__name__}") from exc

    def enqueue_grade(self, submission_id: str, priority: int = NORMAL_PRIORITY) -> None:
        """Send the grade task, at the broker priority of `priority` (see celery_app.broker_priority)."""
        from judge.queue.celery_app import GRADE_TASK, broker_priority

        self._send(GRADE_TASK, submission_id, broker_priority(priority))

    def enqueue_callback(self, submission_id: str) -> None:
        """Send the callback task."""
        from judge.queue.celery_app import CALLBACK_TASK

        self._send(CALLBACK_TASK, submission_id)

    def enqueue_upload(self, upload_id: str) -> None:
        """Send the upload task."""
        from judge.queue.celery_app import UPLOAD_TASK

        self._send(UPLOAD_TASK, upload_id)

    def unavailable_reason(self) -> str | None:
        """Not ready when Redis does not answer a ping."""
        import redis

        try:
            redis.Redis.from_url(self.settings.queue.redis_url, socket_timeout=2, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            return f"the queue's broker does not answer ({type(exc).__name__})"
        return None

    def broker_epoch(self) -> str | None:
        """Redis' run_id: a restarted Redis without persistence has forgotten every queued message."""
        import redis

        try:
            with redis.Redis.from_url(
                self.settings.queue.redis_url, socket_timeout=2, socket_connect_timeout=2
            ) as client:
                return str(client.info("server")["run_id"])
        except (redis.RedisError, KeyError):
            return None


def make_dispatcher(
    settings: Settings,
    sessions: sessionmaker[Session],
    sandbox_factory: Callable[[Settings], Sandbox],
    bank: ProblemBank,
) -> Dispatcher:
    """The dispatcher settings.queue.backend names; the embedded one grades with a sandbox made here, from `bank`."""
    if settings.queue.backend == "celery":
        return CeleryDispatcher(settings)
    sandbox = pooled(sandbox_factory(settings), settings, bank)
    return EmbeddedDispatcher(WorkerContext(settings, sessions, sandbox, bank), settings.queue.workers)


def dispatch(dispatcher: Dispatcher, sessions: sessionmaker[Session], submission_id: str) -> bool:
    """Queue one stored submission at its priority and record that the queue took it; False when the
    queue is down (the submission stays queued, and the redispatch loop tries again)."""
    with sessions() as session:
        priority = submissions.priority_of(session, submission_id)
    try:
        dispatcher.enqueue_grade(submission_id, priority)
    except QueueUnavailable as exc:
        log.warning("submission %s not dispatched: %s", submission_id, exc)
        return False
    with sessions() as session:
        submissions.mark_dispatched(session, submission_id)
    return True


def dispatch_upload(dispatcher: Dispatcher, sessions: sessionmaker[Session], upload_id: str) -> bool:
    """Queue validating one stored upload and record that the queue took it; False when the queue is
    down (the upload stays queued, and the redispatch loop tries again)."""
    try:
        dispatcher.enqueue_upload(upload_id)
    except QueueUnavailable as exc:
        log.warning("upload %s not dispatched: %s", upload_id, exc)
        return False
    with sessions() as session:
        uploads.mark_dispatched(session, upload_id)
    return True


def recover(dispatcher: Dispatcher, sessions: sessionmaker[Session]) -> int:
    """Re-queue every submission and upload a crash left queued or running, and every owed callback.
    A duplicate of a live job is harmless: the worker that holds it keeps it. Returns how many."""
    with sessions() as session:
        unfinished = submissions.unfinished(session)
        callbacks = submissions.pending_callbacks(session)
        unfinished_uploads = uploads.unfinished(session)
    for submission_id in unfinished:
        dispatch(dispatcher, sessions, submission_id)
    for upload_id in unfinished_uploads:
        dispatch_upload(dispatcher, sessions, upload_id)
    for submission_id in callbacks:
        try:
            dispatcher.enqueue_callback(submission_id)
        except QueueUnavailable as exc:
            log.warning("callback of %s not queued: %s", submission_id, exc)
    return len(unfinished) + len(callbacks) + len(unfinished_uploads)


class Redispatcher(threading.Thread):
    """Every `interval_s`, queues submissions and uploads the queue never took (its broker was down
    then), and after the broker restarted, everything unfinished again (the restart may have lost its jobs)."""

    def __init__(self, dispatcher: Dispatcher, sessions: sessionmaker[Session], interval_s: float) -> None:
        super().__init__(daemon=True, name="judge-redispatch")
        self.dispatcher, self.sessions, self.interval_s = dispatcher, sessions, interval_s
        self.stopped = threading.Event()
        self.epoch = dispatcher.broker_epoch()

    def run(self) -> None:
        """Loop until stopped."""
        while not self.stopped.wait(self.interval_s):
            try:
                epoch = self.dispatcher.broker_epoch()
                if epoch is not None and self.epoch is not None and epoch != self.epoch:
                    # Duplicates of jobs the broker did keep are harmless: a grade is claimed once.
                    log.warning(
                        "the queue's broker restarted; re-queued %d unfinished submissions and callbacks",
                        recover(self.dispatcher, self.sessions),
                    )
                self.epoch = epoch if epoch is not None else self.epoch
                before = utcnow() - timedelta(seconds=self.interval_s)
                with self.sessions() as session:
                    waiting = submissions.undispatched(session, created_before=before)
                    waiting_uploads = uploads.undispatched(session, created_before=before)
                for submission_id in waiting:
                    if not dispatch(self.dispatcher, self.sessions, submission_id):
                        break
                for upload_id in waiting_uploads:
                    if not dispatch_upload(self.dispatcher, self.sessions, upload_id):
                        break
            except Exception:
                log.exception("redispatch failed; trying again in %g s", self.interval_s)


def sweep(dispatcher: Dispatcher, sessions: sessionmaker[Session], heartbeat_timeout_s: float) -> list[str]:
    """Queue again every running submission whose heartbeat is older than `heartbeat_timeout_s`
    (its worker died or hangs); the ids this call released (none while another sweeper works)."""
    with sessions() as session:
        released = submissions.release_stale(session, heartbeat_timeout_s=heartbeat_timeout_s) or []
    for submission_id in released:
        log.warning("submission %s: its grader stopped sending heartbeats; queued again as a new try", submission_id)
        # Left undispatched when the queue is down: the Redispatcher sends it once the queue is back.
        dispatch(dispatcher, sessions, submission_id)
    return released


def sweep_uploads(dispatcher: Dispatcher, sessions: sessionmaker[Session], heartbeat_timeout_s: float) -> list[str]:
    """Queue again every upload being validated whose heartbeat is older than `heartbeat_timeout_s`
    (its worker died or hangs); the ids this call released."""
    with sessions() as session:
        released = uploads.release_stale(session, heartbeat_timeout_s=heartbeat_timeout_s)
    for upload_id in released:
        log.warning("upload %s: its validation stopped sending heartbeats; queued again as a new try", upload_id)
        dispatch_upload(dispatcher, sessions, upload_id)
    return released


class HeartbeatSweeper(threading.Thread):
    """Every `interval_s`, sweeps (see sweep and sweep_uploads): a job whose worker died is taken over within about
    heartbeat_timeout_s + interval_s, not when the broker would redeliver it (Redis: after the
    visibility timeout, longer than the longest grade). Every API process runs one; see
    storage.submissions.release_stale for why they never release one grade twice."""

    def __init__(
        self, dispatcher: Dispatcher, sessions: sessionmaker[Session], interval_s: float, heartbeat_timeout_s: float
    ) -> None:
        super().__init__(daemon=True, name="judge-heartbeat-sweeper")
        self.dispatcher, self.sessions = dispatcher, sessions
        self.interval_s, self.heartbeat_timeout_s = interval_s, heartbeat_timeout_s
        self.stopped = threading.Event()

    def run(self) -> None:
        """Loop until stopped."""
        while not self.stopped.wait(self.interval_s):
            try:
                sweep(self.dispatcher, self.sessions, self.heartbeat_timeout_s)
                sweep_uploads(self.dispatcher, self.sessions, self.heartbeat_timeout_s)
            except Exception:  # the database is away (restarting): the next sweep catches up
                log.exception("heartbeat sweep failed; trying again in %g s", self.interval_s)
