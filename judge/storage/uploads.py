"""Problem uploads in the database: queued archives, and the state changes of validating them.

Like submissions (see storage.submissions), every change a validation job makes is a conditional
UPDATE on (id, attempts, status), so two deliveries of one upload never both validate it, and a job
that lost its claim cannot overwrite a newer try (the attempts column counts validation tries).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, delete, func, or_, select, update
from sqlalchemy.orm import Session

from judge.storage.models import PUBLIC_OWNER, ProblemUpload, UploadStatus, utcnow

#: The owner recorded for an admin's upload, which joins the public bank (its ProblemOwner's too).
PUBLIC = PUBLIC_OWNER
UNFINISHED = (UploadStatus.QUEUED.value, UploadStatus.RUNNING.value)
FINISHED = (UploadStatus.ACCEPTED.value, UploadStatus.REJECTED.value, UploadStatus.FAILED.value)


def _changed(session: Session, statement: Update) -> int:
    """Run an UPDATE; how many rows it changed."""
    # Session.execute is typed as returning Result; an UPDATE's is a CursorResult, which counts rows.
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def create(
    session: Session, team: str, key_id: str | None, archive: bytes, slug: str, max_unfinished: int
) -> ProblemUpload | None:
    """Store and commit a queued upload of `team`; None (and nothing stored) when the team already
    has `max_unfinished` uploads queued or validating.

    The row is stored first and counted with the others, so two racing requests can both be refused
    but never both be let over the cap.
    """
    row = ProblemUpload(
        id=uuid.uuid4().hex,
        team=team,
        uploaded_by_key_id=key_id,
        archive=archive,
        status=UploadStatus.QUEUED.value,
        slug=slug,
        attempts=0,
        created_at=utcnow(),
    )
    session.add(row)
    session.commit()
    if unfinished_of(session, team) > max_unfinished:
        session.execute(delete(ProblemUpload).where(ProblemUpload.id == row.id))
        session.commit()
        return None
    return row


def unfinished_of(session: Session, team: str) -> int:
    """How many of `team`'s uploads are queued or being validated."""
    query = select(func.count()).where(ProblemUpload.team == team, ProblemUpload.status.in_(UNFINISHED))
    return session.scalar(query) or 0


def get(session: Session, upload_id: str) -> ProblemUpload | None:
    """One upload by id, freshly read."""
    session.expire_all()
    return session.get(ProblemUpload, upload_id)


def report_of(row: ProblemUpload) -> list[str]:
    """The validation report's lines (empty until validated)."""
    return json.loads(row.report) if row.report else []


def mark_dispatched(session: Session, upload_id: str) -> None:
    """Record that the queue accepted this upload's validation job."""
    session.execute(update(ProblemUpload).where(ProblemUpload.id == upload_id).values(dispatched_at=utcnow()))
    session.commit()


def undispatched(session: Session, created_before: datetime | None = None) -> list[str]:
    """Queued uploads the queue never accepted, made before `created_before` when given."""
    query = select(ProblemUpload.id).where(
        ProblemUpload.status == UploadStatus.QUEUED.value, ProblemUpload.dispatched_at.is_(None)
    )
    if created_before is not None:
        query = query.where(ProblemUpload.created_at < created_before)
    return list(session.scalars(query.order_by(ProblemUpload.created_at)))


def unfinished(session: Session) -> list[str]:
    """Queued and running uploads, oldest first: what a crash may have left behind."""
    query = select(ProblemUpload.id).where(ProblemUpload.status.in_(UNFINISHED))
    return list(session.scalars(query.order_by(ProblemUpload.created_at)))


class ClaimState(StrEnum):
    """The answer to a job asking for an upload."""

    CLAIMED = "claimed"  # validate it now, as try `try_number`
    FINISHED = "finished"  # already accepted, rejected or failed: nothing to do
    BUSY = "busy"  # a live job holds it (if it dies, the sweeper queues it again)
    EXHAUSTED = "exhausted"  # every try was used up: now failed
    MISSING = "missing"  # no such upload


@dataclass(frozen=True)
class Claim:
    """A job's claim on an upload."""

    state: ClaimState
    try_number: int = 0
    team: str = ""
    key_id: str | None = None
    archive: bytes = b""


def claim(
    session: Session,
    upload_id: str,
    *,
    worker: str,
    max_tries: int,
    heartbeat_timeout_s: float,
    exhausted_message: str,
) -> Claim:
    """Take an upload for validation unless it is finished or a live job holds it.

    A running upload whose heartbeat is older than `heartbeat_timeout_s` lost its job (the worker
    died): it is taken over as a new try. After `max_tries` it ends failed with `exhausted_message`.
    """
    row = get(session, upload_id)
    if row is None:
        return Claim(ClaimState.MISSING)
    if row.status in FINISHED:
        return Claim(ClaimState.FINISHED)
    now = utcnow()
    if (
        row.status == UploadStatus.RUNNING.value
        and row.heartbeat_at
        and row.heartbeat_at > now - timedelta(seconds=heartbeat_timeout_s)
    ):
        return Claim(ClaimState.BUSY)
    # Read everything before the UPDATE: it refreshes `row` in the session.
    seen, team, key_id, archive = row.attempts, row.team, row.uploaded_by_key_id, row.archive
    guard = (ProblemUpload.id == upload_id, ProblemUpload.attempts == seen, ProblemUpload.status == row.status)
    if seen >= max_tries:
        done = _changed(
            session,
            update(ProblemUpload).where(*guard).values(**_finished(UploadStatus.FAILED, now, error=exhausted_message)),
        )
        session.commit()
        return Claim(ClaimState.EXHAUSTED if done == 1 else ClaimState.BUSY)
    taken = _changed(
        session,
        update(ProblemUpload)
        .where(*guard)
        .values(status=UploadStatus.RUNNING.value, attempts=seen + 1, started_at=now, heartbeat_at=now, worker=worker),
    )
    session.commit()
    if taken != 1:
        return Claim(ClaimState.BUSY)
    return Claim(ClaimState.CLAIMED, try_number=seen + 1, team=team, key_id=key_id, archive=archive)


def _held(upload_id: str, try_number: int) -> tuple[ColumnElement[bool], ...]:
    return (
        ProblemUpload.id == upload_id,
        ProblemUpload.attempts == try_number,
        ProblemUpload.status == UploadStatus.RUNNING.value,
    )


def _finished(status: UploadStatus, now: datetime, **values: Any) -> dict[str, Any]:
    # The archive is dropped once the upload is decided: an accepted package lives on disk in the
    # bank, a refused one is of no further use, and archives of up to max_package_bytes would
    # otherwise pile up in the database.
    return {"status": status.value, "finished_at": now, "heartbeat_at": None, "archive": b"", **values}


def heartbeat(session: Session, upload_id: str, try_number: int) -> bool:
    """Mark the try alive; False when it no longer holds the upload."""
    done = _changed(session, update(ProblemUpload).where(*_held(upload_id, try_number)).values(heartbeat_at=utcnow()))
    session.commit()
    return done == 1


def accept(
    session: Session,
    upload_id: str,
    try_number: int,
    *,
    slug: str,
    replaced: bool,
    report: list[str],
    package_hash: str | None = None,
) -> bool:
    """Store the try's upload as accepted, as package version `package_hash`; False when the try no longer held it."""
    values = _finished(
        UploadStatus.ACCEPTED,
        utcnow(),
        slug=slug,
        replaced=replaced,
        report=json.dumps(report),
        error=None,
        package_hash=package_hash,
    )
    done = _changed(session, update(ProblemUpload).where(*_held(upload_id, try_number)).values(**values))
    session.commit()
    return done == 1


def reject(session: Session, upload_id: str, try_number: int, message: str) -> bool:
    """Store the try's upload as refused with `message` (what is wrong with the package)."""
    done = _changed(
        session,
        update(ProblemUpload)
        .where(*_held(upload_id, try_number))
        .values(**_finished(UploadStatus.REJECTED, utcnow(), error=message)),
    )
    session.commit()
    return done == 1


def fail(session: Session, upload_id: str, try_number: int, message: str) -> bool:
    """End the try's upload as failed: the judge could not validate it (not the package's fault)."""
    done = _changed(
        session,
        update(ProblemUpload)
        .where(*_held(upload_id, try_number))
        .values(**_finished(UploadStatus.FAILED, utcnow(), error=message)),
    )
    session.commit()
    return done == 1


def release(session: Session, upload_id: str, try_number: int) -> bool:
    """Put the try's upload back in the queue, to be validated again after a fault of the judge."""
    done = _changed(
        session,
        update(ProblemUpload)
        .where(*_held(upload_id, try_number))
        .values(status=UploadStatus.QUEUED.value, heartbeat_at=None),
    )
    session.commit()
    return done == 1


def release_stale(session: Session, *, heartbeat_timeout_s: float) -> list[str]:
    """Put back in the queue, undispatched, every running upload whose heartbeat is older than
    `heartbeat_timeout_s` (its job's worker died or hangs); the ids, oldest first.

    One conditional UPDATE releases each stale row once, whoever else sweeps; the dead try can
    store nothing afterwards, and its try stays counted (see claim).
    """
    cutoff = utcnow() - timedelta(seconds=heartbeat_timeout_s)
    released = session.execute(
        update(ProblemUpload)
        .where(
            ProblemUpload.status == UploadStatus.RUNNING.value,
            or_(ProblemUpload.heartbeat_at.is_(None), ProblemUpload.heartbeat_at < cutoff),
        )
        .values(status=UploadStatus.QUEUED.value, heartbeat_at=None, dispatched_at=None)
        .returning(ProblemUpload.id, ProblemUpload.created_at)
    ).all()
    session.commit()
    return [row.id for row in sorted(released, key=lambda row: row.created_at)]
