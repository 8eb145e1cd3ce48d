"""Candidates' drafts: the code they are writing, one row per invitation and problem, overwritten by
each save, and marked once the time-up sweep has dealt with it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judge.storage.models import Draft, Invitation


def get(session: Session, invitation_id: str, problem: str) -> Draft | None:
    """The invitation's draft of `problem`, if it saved one."""
    return session.get(Draft, (invitation_id, problem))


def save(session: Session, invitation_id: str, problem: str, source: str, now: datetime) -> Draft:
    """Store and commit `source` as the invitation's draft of `problem`, replacing the one before."""
    row = get(session, invitation_id, problem)
    if row is None:
        row = Draft(invitation_id=invitation_id, problem=problem, source=source, saved_at=now)
        session.add(row)
        try:
            session.commit()
            return row
        except IntegrityError:
            # Another tab saved the first draft at the same moment: overwrite that one.
            session.rollback()
            row = session.get_one(Draft, (invitation_id, problem))
    row.source, row.saved_at = source, now
    session.commit()
    return row


def auto_submitted(session: Session, invitation_id: str) -> dict[str, str]:
    """Problem -> attempt id of the invitation's drafts that the time-up sweep submitted."""
    query = select(Draft.problem, Draft.entry_id).where(
        Draft.invitation_id == invitation_id, Draft.entry_id.is_not(None)
    )
    return {problem: entry_id for problem, entry_id in session.execute(query) if entry_id is not None}


def due(session: Session, now: datetime, invitation_id: str | None = None) -> list[tuple[str, str]]:
    """(invitation id, problem) of every draft not yet swept whose candidate's time has ended by `now`
    (of one invitation when given); a withdrawn invitation's drafts are left alone."""
    query = (
        select(Draft.invitation_id, Draft.problem)
        .join(Invitation, Invitation.id == Draft.invitation_id)
        .where(
            Draft.swept_at.is_(None),
            Invitation.revoked_at.is_(None),
            or_(Invitation.deadline_at <= now, Invitation.finished_at <= now),
        )
        .order_by(Draft.invitation_id, Draft.problem)
    )
    if invitation_id is not None:
        query = query.where(Draft.invitation_id == invitation_id)
    return [(row[0], row[1]) for row in session.execute(query)]


def claim(session: Session, invitation_id: str, problem: str, now: datetime) -> bool:
    """Mark the draft swept, in the session's open transaction; False when another sweep marked it first
    (the conditional update waits for that sweep's commit, so one draft is never submitted twice)."""
    marked = session.execute(
        update(Draft)
        .where(Draft.invitation_id == invitation_id, Draft.problem == problem, Draft.swept_at.is_(None))
        .values(swept_at=now)
    )
    return bool(getattr(marked, "rowcount", 0))
