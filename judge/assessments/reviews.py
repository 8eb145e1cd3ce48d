"""A team's reviews of its candidates' integrity flags: mark one dismissed or confirmed with a note, or take
the review back. Only a flag the candidate has now can be reviewed (the key is checked against a fresh report)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from judge.assessments import flags, reports
from judge.assessments.errors import FlagNotFound
from judge.assessments.flags import FlagReviewCreate, ReviewableFlag
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.storage import flag_reviews


@dataclass(frozen=True)
class Reviewer:
    """Who reviews: the viewer (whose assessments they may see) and the key they came with."""

    viewer: Viewer
    key_id: str
    name: str


def current_flag(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str, key: str, now: datetime
) -> ReviewableFlag:
    """The candidate's flag `key` as the report shows it now; FlagNotFound when it has none by that key."""
    report = reports.candidate_report(session, bank, viewer, assessment_id, invitation_id, now)
    for flag in report.flags:
        if flag.key == key:
            return flag
    raise FlagNotFound(
        f"candidate {invitation_id!r} has no flag {key!r} now; the candidate's report lists the current flags' keys"
    )


def review_flag(
    session: Session,
    bank: ProblemBank,
    reviewer: Reviewer,
    assessment_id: str,
    invitation_id: str,
    key: str,
    body: FlagReviewCreate,
    now: datetime,
) -> ReviewableFlag:
    """Record (or replace) the review of one of the candidate's current flags; the flag with its review."""
    flag = current_flag(session, bank, reviewer.viewer, assessment_id, invitation_id, key, now)
    row = flag_reviews.save(
        session, assessment_id, invitation_id, key, body.outcome.value, body.note, reviewer.key_id, reviewer.name, now
    )
    return flag.model_copy(update={"review": flags.review_view(row)})


def clear_review(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str, key: str, now: datetime
) -> ReviewableFlag:
    """Take back the review of one of the candidate's current flags (idempotent); the flag, unreviewed."""
    flag = current_flag(session, bank, viewer, assessment_id, invitation_id, key, now)
    flag_reviews.remove(session, invitation_id, key)
    return flag.model_copy(update={"review": None})
