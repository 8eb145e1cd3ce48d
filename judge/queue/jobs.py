"""The jobs a worker runs, whichever queue delivered them: grade a submission, deliver a callback
(validating an uploaded problem is in queue.uploads).

Delivery is at least once; a job is idempotent, keyed by submission id (see storage.submissions.claim):
a job for a submission that is finished or held by a live grader is done without work.
A job returns None when it is done, or the seconds after which it must run again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from judge.bank.loader import ProblemBank
from judge.errors import InvalidProblem, InvalidSubmission, ProblemNotFound, SandboxFault
from judge.grading import grade_checks
from judge.result import CheckResult, Verdict
from judge.sandbox.base import Sandbox
from judge.settings import Settings
from judge.storage import submissions
from judge.storage.models import CallbackState, SubmissionPurpose
from judge.storage.submissions import ClaimState

log = logging.getLogger(__name__)


@dataclass
class WorkerContext:
    """What every job run by one worker needs: settings (with uploads), sessions, a sandbox, the bank and
    the worker's name (host:pid), which its claims record."""

    settings: Settings
    sessions: sessionmaker[Session]
    sandbox: Sandbox
    bank: ProblemBank
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


@dataclass(frozen=True)
class GradeStep:
    """What became of one grade job: run again after `retry_in` seconds, and/or a callback is owed."""

    retry_in: float | None = None
    callback_due: bool = False


class Heartbeat(threading.Thread):
    """Marks a job's try alive every heartbeat_interval_s while it runs; `beat(session)` marks it
    and says whether the try still holds its row."""

    def __init__(self, context: WorkerContext, label: str, beat: Callable[[Session], bool]) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{label[:24]}")
        self.context, self.label, self.beat = context, label, beat
        self.stopped = threading.Event()

    def run(self) -> None:
        """Beat until stopped, or until the try no longer holds its row."""
        while not self.stopped.wait(self.context.settings.queue.heartbeat_interval_s):
            try:
                with self.context.sessions() as session:
                    held = self.beat(session)
            except Exception:  # a missed beat is retried at the next interval
                log.exception("heartbeat of %s failed", self.label)
                continue
            if not held:
                # This process stalled past the heartbeat timeout and the job was taken over:
                # whatever this try finds is dropped when it tries to store it.
                log.warning("%s was taken over by another worker", self.label)
                return


def grade(context: WorkerContext, submission_id: str) -> GradeStep:
    """Grade one submission once: claim it, grade it while beating, store the outcome."""
    settings = context.settings
    with context.sessions() as session:
        claim = submissions.claim(
            session,
            submission_id,
            worker=context.worker,
            max_tries=settings.queue.max_tries,
            heartbeat_timeout_s=settings.queue.heartbeat_timeout_s,
        )
    if claim.state is ClaimState.BUSY:
        # A live grader holds it (this is a duplicate, or the redelivery of a dead try's job
        # that was taken over): done without work. Should that grader die too, its heartbeat goes
        # stale and the sweeper (dispatch.HeartbeatSweeper) queues the submission again.
        return GradeStep()
    if claim.state is ClaimState.EXHAUSTED:
        with context.sessions() as session:
            submissions.mark_exhausted_callback(session, submission_id)
        return GradeStep(callback_due=True)
    if claim.state is not ClaimState.CLAIMED:
        return GradeStep()
    return _grade_claimed(context, submission_id, claim)


def _grade_claimed(context: WorkerContext, submission_id: str, claim: submissions.Claim) -> GradeStep:
    settings, try_number = context.settings, claim.try_number

    def on_check(check: CheckResult) -> None:
        with context.sessions() as session:
            submissions.record_check(session, submission_id, try_number, check)

    beat = Heartbeat(
        context,
        f"grade of {submission_id} try {try_number}",
        lambda session: submissions.heartbeat(session, submission_id, try_number),
    )
    beat.start()
    started = time.monotonic()
    try:
        problem = context.bank.load(claim.problem, claim.package_hash)
        graded = grade_checks(
            problem,
            claim.source,
            settings,
            context.sandbox,
            context.bank.hidden_paths(),
            on_check=on_check,
            public_only=claim.purpose is SubmissionPurpose.RUN,
        )
    except (InvalidSubmission, ProblemNotFound, InvalidProblem) as exc:
        # The input cannot be graded at all (say, its problem was removed): retrying cannot help.
        with context.sessions() as session:
            submissions.fail(session, submission_id, try_number, str(exc), verdict=None)
        return GradeStep(callback_due=True)
    except Exception as exc:  # SandboxFault, or any other fault of the judge: never the candidate's score
        return _judge_fault(context, submission_id, try_number, exc)
    finally:
        beat.stopped.set()
        beat.join()
    with context.sessions() as session:
        # Only a Run keeps what the code printed: a counted grade's output is nobody's to read.
        output = graded.output if claim.purpose is SubmissionPurpose.RUN else None
        stored = submissions.complete(
            session, submission_id, try_number, graded.result, time.monotonic() - started, output
        )
    if not stored:
        log.warning("grade of %s try %d finished after losing its claim; result dropped", submission_id, try_number)
    return GradeStep(callback_due=stored)


def _judge_fault(context: WorkerContext, submission_id: str, try_number: int, exc: Exception) -> GradeStep:
    settings = context.settings
    kind = "sandbox fault" if isinstance(exc, SandboxFault) else f"judge fault ({type(exc).__name__})"
    message = f"{kind}: {str(exc).splitlines()[0] if str(exc) else 'no message'}"
    log.error("grading %s try %d: %s", submission_id, try_number, message, exc_info=not isinstance(exc, SandboxFault))
    with context.sessions() as session:
        if try_number >= settings.queue.max_tries:
            submissions.fail(
                session,
                submission_id,
                try_number,
                f"gave up after {try_number} attempts; last: {message}",
                Verdict.INTERNAL_ERROR,
            )
            return GradeStep(callback_due=True)
        submissions.release(session, submission_id, try_number, message)
    return GradeStep(retry_in=settings.queue.retry_backoff_s * 2 ** (try_number - 1))


def deliver_callback(context: WorkerContext, submission_id: str) -> float | None:
    """POST the result to the submission's callback_url once; seconds until the next try, or None."""
    from judge.queue import callbacks

    settings = context.settings
    with context.sessions() as session:
        row = submissions.get(session, submission_id)
        if row is None or row.callback_state != CallbackState.PENDING.value or not row.callback_url:
            return None
        body = callbacks.payload(row)
        url = row.callback_url
    error = callbacks.post(url, body, settings, delivery_number=row.callback_attempts + 1, delivery_id=submission_id)
    with context.sessions() as session:
        deliveries = submissions.record_delivery(
            session,
            submission_id,
            delivered=error is None,
            error=error,
            max_deliveries=settings.callbacks.max_deliveries,
        )
    if error is None or deliveries >= settings.callbacks.max_deliveries:
        if error is not None:
            log.warning("callback of %s failed for good after %d deliveries: %s", submission_id, deliveries, error)
        return None
    return settings.callbacks.backoff_s * 2 ** (deliveries - 1)
