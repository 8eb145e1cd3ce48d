"""Stored fingerprints of counted assessment submissions, and the SQL that finds which of a team's
submissions share the most of them with one submission (judge/similarity.py makes the fingerprints)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from judge.storage.models import (
    Assessment,
    AssessmentEntry,
    AssessmentProblem,
    EntryGrading,
    Fingerprint,
    FingerprintSet,
    Submission,
    SubmissionPurpose,
)


class Unfingerprinted(BaseModel):
    """A counted submission whose fingerprints are not stored yet."""

    submission_id: str
    assessment_id: str
    invitation_id: str
    source: bytes


#: How many of a submission's fingerprints are looked up in the index to find the submissions like it.
SAMPLE = 40


class SharedCount(BaseModel):
    """Another submission of the team's to the same problem and how many fingerprints it shares (estimated
    from a sample of the submission's, when it has more than SAMPLE)."""

    submission_id: str
    assessment_id: str
    invitation_id: str
    shared: int
    hashes: int


def store(
    session: Session,
    submission_id: str,
    *,
    team: str,
    problem: str,
    assessment_id: str,
    invitation_id: str,
    hashes: Sequence[int],
) -> None:
    """Keep one submission's fingerprints (once: it must have none yet)."""
    session.add(
        FingerprintSet(
            submission_id=submission_id,
            team=team,
            problem=problem,
            assessment_id=assessment_id,
            invitation_id=invitation_id,
            hashes=len(hashes),
        )
    )
    session.flush()
    if hashes:
        rows = [{"submission_id": submission_id, "hash": h, "team": team, "problem": problem} for h in hashes]
        session.execute(insert(Fingerprint), rows)


def unfingerprinted(session: Session, team: str, problem: str) -> list[Unfingerprinted]:
    """The team's counted submissions to `problem` (in any of its assessments) without stored fingerprints."""
    query = (
        select(Submission.id, AssessmentEntry.assessment_id, AssessmentEntry.invitation_id, Submission.source)
        .join(EntryGrading, EntryGrading.submission_id == Submission.id)
        .join(AssessmentEntry, AssessmentEntry.id == EntryGrading.entry_id)
        .join(Assessment, Assessment.id == AssessmentEntry.assessment_id)
        .outerjoin(FingerprintSet, FingerprintSet.submission_id == Submission.id)
        .where(
            Assessment.team == team,
            AssessmentEntry.problem == problem,
            Submission.purpose != SubmissionPurpose.RUN.value,
            FingerprintSet.submission_id.is_(None),
        )
        .order_by(Submission.id)
    )
    return [
        Unfingerprinted(submission_id=s, assessment_id=a, invitation_id=i, source=src)
        for s, a, i, src in session.execute(query)
    ]


def has_fingerprints(session: Session, submission_id: str) -> bool:
    """Whether the submission's fingerprints are stored."""
    return session.get(FingerprintSet, submission_id) is not None


def shared_counts(session: Session, submission_id: str, limit: int) -> list[SharedCount]:
    """The `limit` other submissions of the same team and problem sharing most of a sample of
    `submission_id`'s stored fingerprints (the same candidate's excluded), found through the
    (team, problem, hash) index. The sample is the SAMPLE smallest hashes: the hashes are uniform, so it is
    a random one, and it bounds the work however long the submission (SharedCount.estimate scales it)."""
    mine = session.get(FingerprintSet, submission_id)
    if mine is None or mine.hashes == 0:
        return []
    sample = (
        select(Fingerprint.hash)
        .where(Fingerprint.submission_id == submission_id)
        .order_by(Fingerprint.hash)
        .limit(SAMPLE)
    )
    shared = func.count().label("shared")
    counts = (
        select(Fingerprint.submission_id, shared)
        .where(
            Fingerprint.team == mine.team,
            Fingerprint.problem == mine.problem,
            Fingerprint.hash.in_(sample),
            Fingerprint.submission_id != submission_id,
        )
        .group_by(Fingerprint.submission_id)
        .subquery()
    )
    query = (
        select(FingerprintSet, counts.c.shared)
        .join(counts, counts.c.submission_id == FingerprintSet.submission_id)
        .where(FingerprintSet.invitation_id != mine.invitation_id)
        .order_by(counts.c.shared.desc(), FingerprintSet.submission_id)
        .limit(limit)
    )
    return [
        SharedCount(
            submission_id=row.submission_id,
            assessment_id=row.assessment_id,
            invitation_id=row.invitation_id,
            shared=round(count * mine.hashes / min(SAMPLE, mine.hashes)),
            hashes=row.hashes,
        )
        for row, count in session.execute(query)
    ]


def hash_count(session: Session, submission_id: str) -> int:
    """How many fingerprints the submission has stored (0 when none are)."""
    row = session.get(FingerprintSet, submission_id)
    return row.hashes if row is not None else 0


def sources(session: Session, submission_ids: Sequence[str]) -> dict[str, bytes]:
    """Submission id -> stored source, for the given ids, read in one query."""
    if not submission_ids:
        return {}
    query = select(Submission.id, Submission.source).where(Submission.id.in_(list(submission_ids)))
    return {submission_id: source for submission_id, source in session.execute(query)}


def assessed_problems(session: Session) -> list[tuple[str, str]]:
    """Every (team, problem) some assessment of the team holds."""
    query = (
        select(Assessment.team, AssessmentProblem.problem)
        .join(AssessmentProblem, AssessmentProblem.assessment_id == Assessment.id)
        .distinct()
        .order_by(Assessment.team, AssessmentProblem.problem)
    )
    return [(team, problem) for team, problem in session.execute(query)]
