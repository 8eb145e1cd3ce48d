"""Teams' known solutions: rows of known_solutions, always read within one team."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judge.storage.models import KnownSolution


def add(
    session: Session, *, team: str, problem: str, label: str, source: str, key_id: str | None, now: datetime
) -> KnownSolution:
    """Store a known solution of `team` (committed)."""
    row = KnownSolution(
        id=uuid.uuid4().hex,
        team=team,
        problem=problem,
        label=label,
        source=source,
        uploaded_by_key_id=key_id,
        created_at=now,
    )
    session.add(row)
    session.commit()
    return row


def of_team(session: Session, team: str, problem: str | None = None) -> list[KnownSolution]:
    """The team's known solutions (of one problem when given), by problem, then oldest first."""
    query = select(KnownSolution).where(KnownSolution.team == team)
    if problem is not None:
        query = query.where(KnownSolution.problem == problem)
    return list(session.scalars(query.order_by(KnownSolution.problem, KnownSolution.created_at, KnownSolution.id)))


def get(session: Session, known_id: str) -> KnownSolution | None:
    """A known solution by id, whichever team's (the caller checks the team)."""
    return session.get(KnownSolution, known_id)


def delete(session: Session, row: KnownSolution) -> None:
    """Remove a known solution (committed)."""
    session.delete(row)
    session.commit()
