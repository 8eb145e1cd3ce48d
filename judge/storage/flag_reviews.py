"""Flag reviews: what a team decided about one integrity flag of a candidate, one row per invitation and
flag key, overwritten by a new review of the same flag."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judge.storage.models import FlagReview


def of_assessment(session: Session, assessment_id: str) -> list[FlagReview]:
    """Every review of the assessment's flags."""
    query = select(FlagReview).where(FlagReview.assessment_id == assessment_id).order_by(FlagReview.id)
    return list(session.scalars(query))


def _get(session: Session, invitation_id: str, key: str) -> FlagReview | None:
    query = select(FlagReview).where(FlagReview.invitation_id == invitation_id, FlagReview.key == key)
    return session.scalars(query).one_or_none()


def save(
    session: Session,
    assessment_id: str,
    invitation_id: str,
    key: str,
    outcome: str,
    note: str,
    reviewer_key_id: str,
    reviewer: str,
    now: datetime,
) -> FlagReview:
    """Store and commit a review of the invitation's flag `key`, replacing the one before."""
    fields = {
        "outcome": outcome,
        "note": note,
        "reviewer_key_id": reviewer_key_id,
        "reviewer": reviewer,
        "reviewed_at": now,
    }
    row = _get(session, invitation_id, key)
    if row is None:
        row = FlagReview(assessment_id=assessment_id, invitation_id=invitation_id, key=key, **fields)
        session.add(row)
        try:
            session.commit()
            return row
        except IntegrityError:
            # Another reviewer saved the first review at the same moment: overwrite theirs.
            session.rollback()
            row = session.scalars(
                select(FlagReview).where(FlagReview.invitation_id == invitation_id, FlagReview.key == key)
            ).one()
    for name, value in fields.items():
        setattr(row, name, value)
    session.commit()
    return row


def remove(session: Session, invitation_id: str, key: str) -> None:
    """Forget the review of the invitation's flag `key` (none is fine)."""
    session.execute(delete(FlagReview).where(FlagReview.invitation_id == invitation_id, FlagReview.key == key))
    session.commit()
