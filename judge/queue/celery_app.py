"""The scale-out queue: Celery over Redis, with `judge worker` processes grading.

At least once: a message is acknowledged only after its job ran (task_acks_late) and is requeued when
the worker process running it dies (task_reject_on_worker_lost); a worker reserves one message at a
time (prefetch 1). When a whole worker dies (or hangs), its grade's heartbeat stops and the API's
sweeper (dispatch.HeartbeatSweeper) queues the submission again within the heartbeat timeout; Redis
also redelivers the dead worker's message once nobody acknowledged it within the visibility timeout,
which is longer than the longest grade, and that late copy finds the submission finished or held by
the newer try and is acknowledged without work. Redelivery is harmless (jobs are idempotent per
submission) and bounded (the try counter in the row, see storage.submissions.claim).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
from collections.abc import Callable

from celery import Celery, Task
from celery.signals import worker_process_shutdown

from judge.bank.loader import ProblemBank
from judge.limits import VALIDATION_GRADES, task_limits
from judge.queue import jobs
from judge.queue.jobs import WorkerContext
from judge.queue.uploads import validate_upload
from judge.sandbox.base import Sandbox
from judge.sandbox.pool import pooled
from judge.settings import Settings
from judge.storage.submissions import NORMAL_PRIORITY

GRADE_TASK = "judge.grade"
CALLBACK_TASK = "judge.callback"
UPLOAD_TASK = "judge.validate_upload"
#: Redis message priorities: a worker takes a queue's lower numbers first (kombu keeps one list per
#: priority step and pops them in order), so candidates' work (0) always goes before rejudges (9).
BROKER_PRIORITY_NORMAL = 0
BROKER_PRIORITY_LOW = 9

log = logging.getLogger(__name__)


def broker_priority(priority: int) -> int:
    """The Redis message priority of a submission of `priority` (submissions.priority, higher first):
    below normal (a rejudge's grading) waits behind every normal one."""
    return BROKER_PRIORITY_NORMAL if priority >= NORMAL_PRIORITY else BROKER_PRIORITY_LOW


def create_celery(settings: Settings) -> Celery:
    """A Celery app on settings.queue.redis_url configured for at-least-once grading."""
    limits = task_limits(settings)
    app = Celery("judge", broker=settings.queue.redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=limits.soft_s,
        task_time_limit=limits.hard_s,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue="judge",
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": limits.visibility_s,
            # One Redis list per priority, popped in this order: rejudges wait behind candidates.
            "priority_steps": [BROKER_PRIORITY_NORMAL, BROKER_PRIORITY_LOW],
            "unacked_restore_interval": settings.queue.celery_restore_interval_s,
            "unacked_restore_throttle": 1,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
        },
        worker_send_task_events=False,
    )
    return app


def register_tasks(app: Celery, context: Callable[[], WorkerContext], fault_retry_s: float = 30.0) -> None:
    """The grade, callback and upload tasks; `context()` gives this worker process's context. A job
    that fails outside its own fault handling runs again after `fault_retry_s`."""

    @app.task(name=GRADE_TASK, bind=True, max_retries=None)
    def grade(self: Task, submission_id: str) -> None:
        """Grade one submission (idempotent); run again later when asked to."""
        try:
            step = jobs.grade(context(), submission_id)
        except Exception as exc:
            # The database went away (PostgreSQL restarting) or no worker context could be made (Docker down):
            # a failed task is acknowledged, which would drop the submission for good. A claim it made
            # goes stale meanwhile and is taken over as a new try, by this retry or the sweeper.
            log.warning(
                "grade of %s failed outside grading (%s: %s); retrying in %g s",
                submission_id,
                type(exc).__name__,
                exc,
                fault_retry_s,
            )
            raise self.retry(countdown=fault_retry_s) from exc
        if step.callback_due:
            app.send_task(CALLBACK_TASK, args=[submission_id])
        if step.retry_in is not None:
            raise self.retry(countdown=step.retry_in)

    @app.task(name=CALLBACK_TASK, bind=True, max_retries=None)
    def callback(self: Task, submission_id: str) -> None:
        """Deliver one submission's result to its callback_url, retried with backoff."""
        try:
            retry_in = jobs.deliver_callback(context(), submission_id)
        except Exception as exc:  # the database is away: keep the owed callback, as for grades
            log.warning(
                "callback of %s failed (%s: %s); retrying in %g s",
                submission_id,
                type(exc).__name__,
                exc,
                fault_retry_s,
            )
            raise self.retry(countdown=fault_retry_s) from exc
        if retry_in is not None:
            raise self.retry(countdown=retry_in)

    # Validation grades the reference twice, the starter and every mutant, so its limits are
    # VALIDATION_GRADES grades long. Redis may redeliver it meanwhile (past the visibility timeout):
    # that copy finds the upload held by the live try, or finished, and is acknowledged without work.
    @app.task(
        name=UPLOAD_TASK,
        bind=True,
        max_retries=None,
        soft_time_limit=app.conf.task_soft_time_limit * VALIDATION_GRADES,
        time_limit=app.conf.task_time_limit * VALIDATION_GRADES,
    )
    def upload(self: Task, upload_id: str) -> None:
        """Validate one uploaded problem package (idempotent); run again later when asked to."""
        try:
            retry_in = validate_upload(context(), upload_id)
        except Exception as exc:  # the database is away: the upload stays queued or goes stale, as for grades
            log.warning(
                "validation of upload %s failed outside validation (%s: %s); retrying in %g s",
                upload_id,
                type(exc).__name__,
                exc,
                fault_retry_s,
            )
            raise self.retry(countdown=fault_retry_s) from exc
        if retry_in is not None:
            raise self.retry(countdown=retry_in)


def worker_process_context(
    settings: Settings, sandbox_factory: Callable[[Settings], Sandbox]
) -> Callable[[], WorkerContext]:
    """A WorkerContext per worker process, made on first use after the fork (engines must not cross a fork)."""
    from judge.storage.db import make_engine, session_factory

    bank = ProblemBank(settings)
    made: dict[int, WorkerContext] = {}

    def get() -> WorkerContext:
        pid = os.getpid()
        if pid not in made:
            made.clear()
            # Each worker process keeps its own warm pool, refilled by a thread of this process.
            sandbox = pooled(sandbox_factory(settings), settings, bank)
            sandbox.open()
            atexit.register(sandbox.close)
            # A prefork child leaves by os._exit, which skips atexit: Celery's signal of the child's
            # shutdown closes the pool too, or a stopped worker would leave its warm containers behind.
            worker_process_shutdown.connect(lambda **_: sandbox.close(), weak=False)
            made[pid] = WorkerContext(settings, session_factory(make_engine(settings)), sandbox, bank)
        return made[pid]

    return get


def run_worker(
    settings: Settings, sandbox_factory: Callable[[Settings], Sandbox], *, hostname: str | None = None
) -> None:
    """Run a Celery worker in this process until it is stopped (settings.queue.workers grades at once)."""
    from judge.storage.db import make_engine, migrate

    engine = make_engine(settings)
    migrate(engine)
    engine.dispose()
    app = create_celery(settings)
    register_tasks(
        app, worker_process_context(settings, sandbox_factory), fault_retry_s=settings.queue.heartbeat_timeout_s
    )
    name = hostname or f"judge-{socket.gethostname()}-{os.getpid()}@%h"
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={settings.queue.workers}",
            "--pool=prefork",
            f"--hostname={name}",
            "--queues=judge",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
