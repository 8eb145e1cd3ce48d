"""Candidates' attempts with their gradings, and which attempt the scoring policy counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from judge.assessments.feedback import scale
from judge.storage.models import AssessmentEntry, EntryGrading, ScoringPolicy, Submission, SubmissionStatus


@dataclass
class Attempt:
    """One entry and every grading of its source, oldest first (the last is the one in force)."""

    entry: AssessmentEntry
    gradings: list[tuple[EntryGrading, Submission]] = field(default_factory=list)

    @property
    def current(self) -> Submission:
        """The latest grading's submission: a rejudge replaces what counts."""
        return self.gradings[-1][1]

    @property
    def graded(self) -> bool:
        """Whether the latest grading completed (a failed one, a fault of the judge, never counts)."""
        return self.current.status == SubmissionStatus.COMPLETED.value

    def points(self, worth: float) -> float | None:
        """The latest grading's score as a share of `worth`; None until it completed."""
        return scale(worth, self.current.score, self.current.max_score) if self.graded else None


def load_attempts(session: Session, assessment_id: str, invitation_id: str | None = None) -> list[Attempt]:
    """The attempts of an assessment (of one invitation when given), by invitation, problem and number."""
    session.expire_all()
    entries = select(AssessmentEntry).where(AssessmentEntry.assessment_id == assessment_id)
    gradings = (
        select(EntryGrading, Submission)
        .join(Submission, Submission.id == EntryGrading.submission_id)
        .join(AssessmentEntry, AssessmentEntry.id == EntryGrading.entry_id)
        .where(AssessmentEntry.assessment_id == assessment_id)
        .order_by(EntryGrading.round, EntryGrading.id)
    )
    if invitation_id is not None:
        entries = entries.where(AssessmentEntry.invitation_id == invitation_id)
        gradings = gradings.where(AssessmentEntry.invitation_id == invitation_id)
    by_entry: dict[str, list[tuple[EntryGrading, Submission]]] = defaultdict(list)
    for grading, submission in session.execute(gradings):
        by_entry[grading.entry_id].append((grading, submission))
    ordered = entries.order_by(AssessmentEntry.invitation_id, AssessmentEntry.problem, AssessmentEntry.number)
    return [Attempt(entry, by_entry[entry.id]) for entry in session.scalars(ordered) if by_entry[entry.id]]


def counted(attempts: list[Attempt], policy: ScoringPolicy, worth: float) -> Attempt | None:
    """The graded attempt `policy` counts: the highest score (earliest on a tie), or the latest graded."""
    graded = [a for a in attempts if a.graded]
    if not graded:
        return None
    if policy is ScoringPolicy.LAST:
        return max(graded, key=lambda a: a.entry.number)
    return max(graded, key=lambda a: (a.points(worth) or 0.0, -a.entry.number))


def pending(attempts: list[Attempt]) -> int:
    """Attempts whose latest grading has not finished."""
    unfinished = (SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value)
    return sum(1 for a in attempts if a.current.status in unfinished)


def compared(attempts: list[Attempt], policy: ScoringPolicy, worth: float) -> Attempt | None:
    """The attempt a candidate's code is compared by (similarity): the one that counts, else their latest."""
    return counted(attempts, policy, worth) or (attempts[-1] if attempts else None)
