"""Submissions in the database: creating them, and the state changes of grading them.

Every change a grader makes is a conditional UPDATE on (id, attempts), the column counting grading
tries, so two deliveries of the same submission never both grade it, and a grader that lost its claim
cannot overwrite a newer try.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, case, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judge.result import CheckResult, GradeResult, Verdict
from judge.storage.models import (
    ApiKey,
    Assessment,
    AssessmentEntry,
    CallbackState,
    EntryGrading,
    Role,
    Submission,
    SubmissionCheck,
    SubmissionPurpose,
    SubmissionStatus,
    utcnow,
)

FINISHED = (SubmissionStatus.COMPLETED.value, SubmissionStatus.FAILED.value)
UNFINISHED = (SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value)
#: submissions.priority of candidates' and teams' own work; every dispatcher grades higher first.
NORMAL_PRIORITY = 0
#: A Run (judge/runs.py): after counted work, before rejudges; never counted in `queue_depth`.
RUN_PRIORITY = -5
#: A rejudge's gradings: taken only when no normal work waits, and never counted in `queue_depth`.
REJUDGE_PRIORITY = -10
#: Any constant the API processes share: the one sweeping stale heartbeats holds it (see release_stale).
SWEEP_LOCK_ID = 4_711_002


def _changed(session: Session, statement: Update) -> int:
    """Run an UPDATE; how many rows it changed."""
    # Session.execute is typed as returning Result; an UPDATE's is a CursorResult, which counts rows.
    return cast(CursorResult[Any], session.execute(statement)).rowcount


@dataclass(frozen=True)
class NewSubmission:
    """What a client asked to grade: the problem's current package unless `package_hash` names a stored
    version (an assessment's), at `priority` (rejudges' gradings below normal work)."""

    problem: str
    source: bytes
    owner_key_id: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    callback_url: str | None = None
    package_hash: str | None = None
    priority: int = NORMAL_PRIORITY
    purpose: SubmissionPurpose = SubmissionPurpose.GRADE
    invitation_id: str | None = None


#: Every listing, count and read of submissions outside judge/runs.py takes only these rows: a Run
#: is left out unless a query asks for it by name.
COUNTED = Submission.purpose == SubmissionPurpose.GRADE.value


def build(new: NewSubmission) -> Submission:
    """A queued, not yet stored row for `new`: the one place a Submission row is made."""
    return Submission(
        id=uuid.uuid4().hex,
        problem=new.problem,
        source=new.source,
        package_hash=new.package_hash,
        priority=new.priority,
        purpose=new.purpose.value,
        invitation_id=new.invitation_id,
        status=SubmissionStatus.QUEUED.value,
        attempts=0,
        owner_key_id=new.owner_key_id,
        idempotency_key=new.idempotency_key,
        request_hash=new.request_hash,
        callback_url=new.callback_url,
        callback_attempts=0,
        # The real time, never an injected clock: the redispatcher compares it with its own.
        created_at=utcnow(),
    )


def create(session: Session, new: NewSubmission) -> tuple[Submission, bool]:
    """Store and commit a queued submission; with an idempotency key already used by the same
    owner, the earlier submission instead. Returns (row, created)."""
    if new.idempotency_key is not None:
        earlier = find_by_idempotency_key(session, new.owner_key_id, new.idempotency_key)
        if earlier is not None:
            return earlier, False
    row = build(new)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        # Two requests with one idempotency key raced; the other committed first.
        session.rollback()
        earlier = (
            find_by_idempotency_key(session, new.owner_key_id, new.idempotency_key) if new.idempotency_key else None
        )
        if earlier is None:
            raise
        return earlier, False
    return row, True


def find_by_idempotency_key(session: Session, owner_key_id: str | None, key: str) -> Submission | None:
    """The owner's submission made with this idempotency key, if any."""
    query = select(Submission).where(Submission.owner_key_id == owner_key_id, Submission.idempotency_key == key)
    return session.scalar(query)


def get(session: Session, submission_id: str) -> Submission | None:
    """One submission by id, freshly read."""
    session.expire_all()
    return session.get(Submission, submission_id)


@dataclass(frozen=True)
class Reader:
    """Whose submissions a key may read: an admin every one; a team key those made by any key of its
    team and the gradings of its team's assessments; a candidate key only its own."""

    key_id: str
    team: str | None = None
    admin: bool = False


def _readable_by(reader: Reader) -> ColumnElement[bool]:
    """The WHERE clause of the submissions `reader` may read."""
    if reader.admin:
        return COUNTED
    if reader.team is None:
        return COUNTED & (Submission.owner_key_id == reader.key_id)
    # A team's keys: team and admin keys of that team, or, without a team, each its own (keys.team_of).
    team_keys = select(ApiKey.id).where(
        ApiKey.role != Role.CANDIDATE.value, func.coalesce(ApiKey.team, ApiKey.id) == reader.team
    )
    team_gradings = (
        select(EntryGrading.submission_id)
        .join(AssessmentEntry, AssessmentEntry.id == EntryGrading.entry_id)
        .join(Assessment, Assessment.id == AssessmentEntry.assessment_id)
        .where(Assessment.team == reader.team)
    )
    return COUNTED & or_(Submission.owner_key_id.in_(team_keys), Submission.id.in_(team_gradings))


def list_recent(session: Session, reader: Reader, limit: int, offset: int) -> list[Submission]:
    """The submissions `reader` may read, newest first."""
    query = select(Submission).where(_readable_by(reader)).order_by(Submission.created_at.desc(), Submission.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def get_readable(session: Session, reader: Reader, submission_id: str) -> Submission | None:
    """One submission by id, freshly read, when `reader` may read it; None otherwise, as for an unknown id."""
    session.expire_all()
    return session.scalar(select(Submission).where(Submission.id == submission_id, _readable_by(reader)))


def queue_depth(session: Session) -> int:
    """Submissions of normal priority waiting to be graded (what POST /submissions is limited by);
    rejudges' gradings wait behind them and are left out, so that a big rejudge cannot lock anyone out."""
    query = select(func.count()).where(
        Submission.status == SubmissionStatus.QUEUED.value, Submission.priority >= NORMAL_PRIORITY
    )
    return session.scalar(query) or 0


def low_priority_backlog(session: Session) -> int:
    """Submissions below normal priority (rejudges' gradings) waiting to be graded; Runs, limited per
    caller instead, are left out."""
    query = select(func.count()).where(
        Submission.status == SubmissionStatus.QUEUED.value, Submission.priority < NORMAL_PRIORITY, COUNTED
    )
    return session.scalar(query) or 0


def priority_of(session: Session, submission_id: str) -> int:
    """A submission's priority (higher is graded first); normal for an unknown id."""
    priority = session.scalar(select(Submission.priority).where(Submission.id == submission_id))
    return NORMAL_PRIORITY if priority is None else priority


def mark_dispatched(session: Session, submission_id: str) -> None:
    """Record that the queue accepted this submission."""
    session.execute(update(Submission).where(Submission.id == submission_id).values(dispatched_at=utcnow()))
    session.commit()


def undispatched(session: Session, created_before: datetime | None = None) -> list[str]:
    """Queued submissions the queue never accepted (its broker was down when they came), made
    before `created_before` when given (younger ones may be being dispatched right now)."""
    query = select(Submission.id).where(
        Submission.status == SubmissionStatus.QUEUED.value, Submission.dispatched_at.is_(None)
    )
    if created_before is not None:
        query = query.where(Submission.created_at < created_before)
    return list(session.scalars(query.order_by(Submission.created_at)))


def unfinished(session: Session) -> list[str]:
    """Queued and running submissions, oldest first: what a crash may have left behind."""
    query = select(Submission.id).where(
        Submission.status.in_([SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value])
    )
    return list(session.scalars(query.order_by(Submission.created_at)))


class ClaimState(StrEnum):
    """The answer to a grader asking for a submission."""

    CLAIMED = "claimed"  # grade it now, as try `try_number`
    FINISHED = "finished"  # already completed or failed: nothing to do
    BUSY = "busy"  # another grader holds it and is alive: nothing to do (if it dies, the sweeper re-queues it)
    EXHAUSTED = "exhausted"  # every try was used up: now failed as internal_error
    MISSING = "missing"  # no such submission


@dataclass(frozen=True)
class Claim:
    """A grader's claim on a submission."""

    state: ClaimState
    try_number: int = 0
    problem: str = ""
    source: bytes = b""
    package_hash: str | None = None
    purpose: SubmissionPurpose = SubmissionPurpose.GRADE


def claim(session: Session, submission_id: str, *, worker: str, max_tries: int, heartbeat_timeout_s: float) -> Claim:
    """Take a submission for grading unless it is finished or a live grader holds it.

    A running submission whose heartbeat is older than `heartbeat_timeout_s` lost its grader (the
    worker died): it is taken over as a new try. After `max_tries` it fails as internal_error.
    """
    row = get(session, submission_id)
    if row is None:
        return Claim(ClaimState.MISSING)
    if row.status in FINISHED:
        return Claim(ClaimState.FINISHED)
    now = utcnow()
    if (
        row.status == SubmissionStatus.RUNNING.value
        and row.heartbeat_at
        and row.heartbeat_at > now - timedelta(seconds=heartbeat_timeout_s)
    ):
        return Claim(ClaimState.BUSY)
    # Read everything before the UPDATE: it refreshes `row` in the session.
    seen, problem, source, version = row.attempts, row.problem, row.source, row.package_hash
    purpose = SubmissionPurpose(row.purpose)
    guard = (Submission.id == submission_id, Submission.attempts == seen, Submission.status == row.status)
    if seen >= max_tries:
        message = f"grading failed {seen} times (its worker died or the sandbox failed); giving up"
        done = _changed(session, update(Submission).where(*guard).values(**_failed_values(message, now)))
        session.commit()
        return Claim(ClaimState.EXHAUSTED if done == 1 else ClaimState.BUSY)
    taken = _changed(
        session,
        update(Submission)
        .where(*guard)
        .values(
            status=SubmissionStatus.RUNNING.value, attempts=seen + 1, started_at=now, heartbeat_at=now, worker=worker
        ),
    )
    session.commit()
    if taken != 1:
        return Claim(ClaimState.BUSY)
    return Claim(
        ClaimState.CLAIMED,
        try_number=seen + 1,
        problem=problem,
        source=source,
        package_hash=version,
        purpose=purpose,
    )


def release_stale(session: Session, *, heartbeat_timeout_s: float) -> list[str] | None:
    """Put back in the queue every running submission whose heartbeat is older than
    `heartbeat_timeout_s` (its grader died or hung), undispatched, so that it is queued again and
    taken as a new try; the ids, oldest first. None when another sweeper is at it right now.

    One conditional UPDATE releases each stale row exactly once, whoever else sweeps; on PostgreSQL
    a transaction-level advisory lock also keeps a second sweeper from scanning meanwhile (SQLite
    lets one writer at a time anyway). The dead try can store nothing afterwards: it no longer
    holds the row (see `_held`). Its try stays counted, so `claim` still ends a submission whose
    graders keep dying as internal_error after max_tries.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": SWEEP_LOCK_ID}
    ):
        session.rollback()
        return None
    cutoff = utcnow() - timedelta(seconds=heartbeat_timeout_s)
    released = session.execute(
        update(Submission)
        .where(
            Submission.status == SubmissionStatus.RUNNING.value,
            or_(Submission.heartbeat_at.is_(None), Submission.heartbeat_at < cutoff),
        )
        .values(status=SubmissionStatus.QUEUED.value, heartbeat_at=None, dispatched_at=None)
        .returning(Submission.id, Submission.created_at)
    ).all()
    session.commit()
    return [row.id for row in sorted(released, key=lambda row: row.created_at)]


def _held(submission_id: str, try_number: int) -> tuple[ColumnElement[bool], ...]:
    return (
        Submission.id == submission_id,
        Submission.attempts == try_number,
        Submission.status == SubmissionStatus.RUNNING.value,
    )


def _failed_values(message: str, now: datetime) -> dict[str, Any]:
    return {
        "status": SubmissionStatus.FAILED.value,
        "verdict": Verdict.INTERNAL_ERROR.value,
        "error": message,
        "finished_at": now,
    }


def heartbeat(session: Session, submission_id: str, try_number: int) -> bool:
    """Mark the try alive; False when it no longer holds the submission."""
    done = _changed(session, update(Submission).where(*_held(submission_id, try_number)).values(heartbeat_at=utcnow()))
    session.commit()
    return done == 1


def record_check(session: Session, submission_id: str, try_number: int, check: CheckResult) -> None:
    """Keep one finished check of a grading try, for event streams."""
    session.add(
        SubmissionCheck(
            submission_id=submission_id, attempt=try_number, payload=check.model_dump_json(), created_at=utcnow()
        )
    )
    session.commit()


def checks_after(session: Session, submission_id: str, after_id: int) -> list[SubmissionCheck]:
    """The submission's check events with an id above `after_id`, in order."""
    query = (
        select(SubmissionCheck)
        .where(SubmissionCheck.submission_id == submission_id, SubmissionCheck.id > after_id)
        .order_by(SubmissionCheck.id)
    )
    return list(session.scalars(query))


def _finish_callback(row_has_callback: bool) -> dict[str, str]:
    return {"callback_state": CallbackState.PENDING.value} if row_has_callback else {}


def complete(
    session: Session,
    submission_id: str,
    try_number: int,
    result: GradeResult,
    seconds: float,
    output: str | None = None,
) -> bool:
    """Store the result of the try (a Run's with its printed `output`); False when the try no longer
    held the submission."""
    row = get(session, submission_id)
    values = {
        "status": SubmissionStatus.COMPLETED.value,
        "verdict": result.verdict.value,
        "score": result.score,
        "max_score": result.max_score,
        "result": result.model_dump_json(),
        "grading_seconds": seconds,
        "output": output,
        "finished_at": utcnow(),
        **_finish_callback(row is not None and row.callback_url is not None),
    }
    done = _changed(session, update(Submission).where(*_held(submission_id, try_number)).values(**values))
    session.commit()
    return done == 1


def fail(session: Session, submission_id: str, try_number: int, message: str, verdict: Verdict | None) -> bool:
    """End the try's submission as failed: a judge fault (verdict internal_error) or ungradable input."""
    row = get(session, submission_id)
    values = {**_failed_values(message, utcnow()), "verdict": verdict.value if verdict else None}
    values.update(_finish_callback(row is not None and row.callback_url is not None))
    done = _changed(session, update(Submission).where(*_held(submission_id, try_number)).values(**values))
    session.commit()
    return done == 1


def release(session: Session, submission_id: str, try_number: int, message: str) -> bool:
    """Put the try's submission back in the queue to be regraded (after a fault of the judge)."""
    done = _changed(
        session,
        update(Submission)
        .where(*_held(submission_id, try_number))
        .values(status=SubmissionStatus.QUEUED.value, heartbeat_at=None, error=message),
    )
    session.commit()
    return done == 1


def mark_exhausted_callback(session: Session, submission_id: str) -> None:
    """A submission that ran out of grading tries still owes its callback."""
    session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id, Submission.callback_url.is_not(None), Submission.callback_state.is_(None)
        )
        .values(callback_state=CallbackState.PENDING.value)
    )
    session.commit()


def pending_callbacks(session: Session) -> list[str]:
    """Submissions whose result still has to be delivered."""
    query = select(Submission.id).where(Submission.callback_state == CallbackState.PENDING.value)
    return list(session.scalars(query.order_by(Submission.finished_at)))


def record_delivery(
    session: Session, submission_id: str, *, delivered: bool, error: str | None, max_deliveries: int
) -> int:
    """Record one callback delivery; the number of deliveries so far. Gives up (failed) after `max_deliveries`."""
    session.expire_all()
    row = session.get_one(Submission, submission_id)
    deliveries = row.callback_attempts + 1
    if delivered:
        state = CallbackState.DELIVERED
    else:
        state = CallbackState.FAILED if deliveries >= max_deliveries else CallbackState.PENDING
    row.callback_attempts = deliveries
    row.callback_state = state.value
    row.callback_error = error
    session.commit()
    return deliveries


def result_of(row: Submission) -> GradeResult | None:
    """The stored GradeResult of a completed submission."""
    return GradeResult.model_validate_json(row.result) if row.result else None


def check_of(row: SubmissionCheck) -> CheckResult:
    """The stored CheckResult of one check event."""
    return CheckResult.model_validate(json.loads(row.payload))


def counts_by_verdict(session: Session) -> dict[tuple[str, str], int]:
    """(status, verdict or '') -> number of counted submissions (Runs left out)."""
    query = (
        select(Submission.status, Submission.verdict, func.count())
        .where(COUNTED)
        .group_by(Submission.status, Submission.verdict)
    )
    return {(status, verdict or ""): count for status, verdict, count in session.execute(query)}


def grading_seconds_histogram(session: Session, bounds: list[float]) -> tuple[list[int], int, float]:
    """Cumulative counts of completed grades (Runs left out) at or under each bound, the total count and the sum
    of seconds."""
    columns = [func.sum(case((Submission.grading_seconds <= bound, 1), else_=0)) for bound in bounds]
    query = select(*columns, func.count(Submission.grading_seconds), func.sum(Submission.grading_seconds))
    row = session.execute(query.where(Submission.grading_seconds.is_not(None), COUNTED)).one()
    return [int(v or 0) for v in row[: len(bounds)]], int(row[len(bounds)] or 0), float(row[len(bounds) + 1] or 0.0)
