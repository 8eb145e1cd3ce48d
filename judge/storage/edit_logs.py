"""Candidates' edit logs: the batches of editor events each page load sent, one row a batch, never
changed once stored (judge/assessments/playback.py reads them back as one log per problem)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judge.storage.models import EditLog


def find(session: Session, invitation_id: str, problem: str, page: str, seq: int) -> EditLog | None:
    """The stored batch `seq` of page load `page`, if it arrived before."""
    query = select(EditLog).where(
        EditLog.invitation_id == invitation_id,
        EditLog.problem == problem,
        EditLog.page == page,
        EditLog.seq == seq,
    )
    return session.scalars(query).first()


def total_bytes(session: Session, invitation_id: str) -> int:
    """Bytes of every batch the invitation stored, all problems together."""
    query = select(func.coalesce(func.sum(EditLog.size_bytes), 0)).where(EditLog.invitation_id == invitation_id)
    return int(session.scalar(query) or 0)


def add(session: Session, row: EditLog) -> EditLog:
    """Store and commit `row`; when the same batch was stored meanwhile (a retry racing the first
    send), that one, unchanged."""
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        stored = find(session, row.invitation_id, row.problem, row.page, row.seq)
        if stored is None:
            raise
        return stored
    return row


def for_problem(session: Session, invitation_id: str, problem: str) -> list[EditLog]:
    """The invitation's batches for `problem`, in the order they arrived."""
    query = (
        select(EditLog).where(EditLog.invitation_id == invitation_id, EditLog.problem == problem).order_by(EditLog.id)
    )
    return list(session.scalars(query))


def logged_problems(session: Session, invitation_id: str) -> set[str]:
    """The problems the invitation stored any batch for."""
    query = select(EditLog.problem).where(EditLog.invitation_id == invitation_id).distinct()
    return set(session.scalars(query))
