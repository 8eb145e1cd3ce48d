"""Matches of a candidate's code against code it should not resemble: the problem's reference solution,
the team's known solutions (judge/assessments/known_solutions.py), and other candidates' submissions in
the team's other assessments. Each match is a typed flag with a stable key, for the candidate's report.

Known solutions are few per problem, so each is compared exactly (copydetect, starter excluded). Other
assessments may hold thousands of submissions, so those go through the stored fingerprints first: the
index counts shared fingerprints per stored submission, a cheap bound drops the unlikely ones, and only the
few left get the exact comparison. A submission's fingerprints are stored the first time a report needs
them (and then never recomputed), so submissions made before this existed are backfilled the same way."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judge.assessments.attempts import Attempt, compared, load_attempts
from judge.assessments.comparisons import ComparedCode, ComparedLine, marked_lines
from judge.assessments.errors import EntryNotFound, KnownSolutionNotFound, ProblemNotInAssessment
from judge.assessments.known_solutions import found
from judge.assessments.service import assessment_problems, choice_problem, team_invitation
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.errors import InvalidProblem, ProblemNotFound
from judge.problem import Kind, Problem
from judge.similarity import MIN_SHARED_CHARS, LineRange, SimilarPair, all_pairs, pairs_with, stored_fingerprints
from judge.storage import fingerprints, known_solutions
from judge.storage.models import (
    Assessment,
    AssessmentProblem,
    Invitation,
    ScoringPolicy,
    Submission,
)

#: The key of the problem's reference solution among the known solutions.
REFERENCE = "reference"
#: How many of the stored submissions sharing most fingerprints get the exact comparison.
CROSS_CANDIDATES = 20
#: Winnowing keeps only some fingerprints, so the share of them in common estimates the similarity
#: roughly; a candidate is compared exactly only above this fraction of the threshold.
BOUND_SLACK = 0.5

_CANDIDATE = "candidate"


class MatchKind(StrEnum):
    """What a candidate's code matched."""

    KNOWN_SOLUTION = "known_solution"
    CROSS_ASSESSMENT = "cross_assessment"


class MatchFlag(BaseModel):
    """One match of a candidate's compared attempt at a problem: a hint for a reviewer, never scored."""

    key: str = Field(description="Stable: known:{problem}:{known id|reference} or cross:{problem}:{submission id}.")
    kind: MatchKind
    problem: str
    message: str
    similarity: float = Field(ge=0, le=1, description="The larger share of either side's own code found in the other.")
    other_label: str = Field(description="The known solution's label, or the other candidate's name.")
    other_assessment_id: str | None = Field(default=None, description="The other candidate's assessment.")
    other_assessment_title: str | None = None
    other_invitation_id: str | None = None
    lines: list[LineRange] = Field(description="Where in the candidate's code the shared code is.")
    link: str = Field(description="The team page that shows the evidence.")


class KnownSide(BaseModel):
    """The known solution's side of a comparison."""

    label: str
    shared_fraction: float = Field(ge=0, le=1)
    lines: list[ComparedLine]


class KnownComparison(BaseModel):
    """A candidate's code for one problem beside a known solution of it."""

    assessment_id: str
    problem: str
    known_id: str
    similarity: float = Field(ge=0, le=1)
    candidate: ComparedCode
    known: KnownSide


def candidate_matches(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str
) -> list[MatchFlag]:
    """The matches of one candidate (of one of the viewer's team's assessments) at each code problem:
    known solutions first, then other candidates of the team's assessments, most similar first."""
    assessment, invitation = team_invitation(session, viewer, assessment_id, invitation_id)
    threshold = bank.settings.assessments.similarity_threshold
    mine = load_attempts(session, assessment.id, invitation.id)
    flags: list[MatchFlag] = []
    for choice in assessment_problems(session, assessment.id):
        problem = choice_problem(bank, choice)
        attempt = _compared(mine, assessment, choice)
        if problem is None or problem.spec.kind is not Kind.CODE or attempt is None:
            continue
        source = _text(attempt.current.source)
        known = _known_flags(session, assessment, invitation, choice.problem, problem, source, threshold)
        cross = _cross_flags(session, assessment, choice, problem, attempt.current, source, threshold)
        flags += sorted(known, key=lambda f: -f.similarity) + sorted(cross, key=lambda f: -f.similarity)
    return flags


def known_comparison(
    session: Session,
    bank: ProblemBank,
    viewer: Viewer,
    assessment_id: str,
    invitation_id: str,
    problem: str,
    known_id: str,
) -> KnownComparison:
    """A candidate's compared attempt at `problem` beside the reference solution (`known_id` "reference")
    or one of the team's known solutions of it, the lines the similarity rests on marked in both."""
    assessment, invitation = team_invitation(session, viewer, assessment_id, invitation_id)
    choice = next((c for c in assessment_problems(session, assessment.id) if c.problem == problem), None)
    if choice is None:
        raise ProblemNotInAssessment(f"problem {problem!r} is not part of assessment {assessment_id!r}")
    loaded = choice_problem(bank, choice)
    if loaded is None or loaded.spec.kind is not Kind.CODE:
        raise ProblemNotInAssessment(f"problem {problem!r} has no code to compare in assessment {assessment_id!r}")
    if known_id == REFERENCE:
        label, text = "reference solution", _reference(loaded)
    else:
        row = found(session, viewer, known_id)
        if row.problem != problem:
            raise KnownSolutionNotFound(f"known solution {known_id!r} is not one of {problem!r}")
        label, text = row.label, row.source
    attempt = _compared(load_attempts(session, assessment.id, invitation.id), assessment, choice)
    if attempt is None:
        raise EntryNotFound(f"{invitation.candidate_name} has no attempt at {problem!r}")
    source = _text(attempt.current.source)
    (pair,) = all_pairs({_CANDIDATE: source, "known": text}, loaded.starter())
    return KnownComparison(
        assessment_id=assessment.id,
        problem=problem,
        known_id=known_id,
        similarity=pair.score,
        candidate=ComparedCode(
            invitation_id=invitation.id,
            candidate_name=invitation.candidate_name,
            attempt=attempt.entry.number,
            shared_fraction=pair.a_fraction,
            lines=marked_lines(source, pair.a_lines),
        ),
        known=KnownSide(label=label, shared_fraction=pair.b_fraction, lines=marked_lines(text, pair.b_lines)),
    )


def fingerprint_problem(session: Session, team: str, problem: str, starter: str) -> int:
    """Store the fingerprints of every counted submission of the team's to `problem` that has none yet
    (committed); how many were stored."""
    missing = fingerprints.unfingerprinted(session, team, problem)
    try:
        for row in missing:
            fingerprints.store(
                session,
                row.submission_id,
                team=team,
                problem=problem,
                assessment_id=row.assessment_id,
                invitation_id=row.invitation_id,
                hashes=stored_fingerprints(_text(row.source), starter),
            )
        if missing:
            session.commit()
    except IntegrityError:
        # Another report stored the same submissions' fingerprints first: theirs are the same ones.
        session.rollback()
        return 0
    return len(missing)


def backfill(session: Session, bank: ProblemBank) -> int:
    """Store the fingerprints of every counted submission that has none yet, every team and code problem
    (a report does it for its own team and problems when first shown; this does all at once, for a
    database with many submissions made before fingerprints were stored); how many were stored."""
    stored = 0
    for team, slug in fingerprints.assessed_problems(session):
        try:
            problem = bank.load(slug)
        except (ProblemNotFound, InvalidProblem):
            continue
        if problem.spec.kind is Kind.CODE:
            stored += fingerprint_problem(session, team, slug, problem.starter())
    return stored


def _known_flags(
    session: Session,
    assessment: Assessment,
    invitation: Invitation,
    slug: str,
    problem: Problem,
    source: str,
    threshold: float,
) -> list[MatchFlag]:
    known = {REFERENCE: ("reference solution", _reference(problem))}
    for row in known_solutions.of_team(session, assessment.team, slug):
        known[row.id] = (row.label, row.source)
    compared_with = pairs_with(_CANDIDATE, source, {k: text for k, (_, text) in known.items()}, problem.starter())
    flags = []
    for known_id, (label, _text) in known.items():
        pair = compared_with[known_id]
        if not _similar(pair, threshold):
            continue
        flags.append(
            MatchFlag(
                key=f"known:{slug}:{known_id}",
                kind=MatchKind.KNOWN_SOLUTION,
                problem=slug,
                message=f"matches a known solution: {label} ({pair.score * 100:.0f}%)",
                similarity=pair.score,
                other_label=label,
                lines=pair.a_lines,
                link=f"/team/assessments/{assessment.id}/candidates/{invitation.id}/known/{slug}/{known_id}",
            )
        )
    return flags


def _cross_flags(
    session: Session,
    assessment: Assessment,
    choice: AssessmentProblem,
    problem: Problem,
    submission: Submission,
    source: str,
    threshold: float,
) -> list[MatchFlag]:
    starter = problem.starter()
    fingerprint_problem(session, assessment.team, choice.problem, starter)
    own = fingerprints.hash_count(session, submission.id)
    # Another candidate of this same assessment is compared by its counted attempt in the report's
    # similar pairs already; its other attempts, and every other assessment, are this check's.
    covered = _compared_submissions(session, assessment, choice)
    likely = [
        count
        for count in fingerprints.shared_counts(session, submission.id, CROSS_CANDIDATES)
        if count.submission_id not in covered
        and count.shared >= BOUND_SLACK * threshold * max(1, min(own, count.hashes))
    ]
    texts = fingerprints.sources(session, [c.submission_id for c in likely])
    compared_with = pairs_with(_CANDIDATE, source, {k: _text(v) for k, v in texts.items()}, starter)
    best: dict[str, tuple[SimilarPair, fingerprints.SharedCount]] = {}
    for count in likely:
        pair = compared_with[count.submission_id]
        kept = best.get(count.invitation_id)
        if _similar(pair, threshold) and (kept is None or pair.score > kept[0].score):
            best[count.invitation_id] = (pair, count)
    flags = []
    for pair, count in best.values():
        other_assessment = session.get(Assessment, count.assessment_id)
        other_invitation = session.get(Invitation, count.invitation_id)
        if other_assessment is None or other_invitation is None:
            continue
        where = "this assessment" if other_assessment.id == assessment.id else f"assessment {other_assessment.title!r}"
        flags.append(
            MatchFlag(
                key=f"cross:{choice.problem}:{count.submission_id}",
                kind=MatchKind.CROSS_ASSESSMENT,
                problem=choice.problem,
                message=(
                    f"similar to candidate {other_invitation.candidate_name} of {where} ({pair.score * 100:.0f}%)"
                ),
                similarity=pair.score,
                other_label=other_invitation.candidate_name,
                other_assessment_id=other_assessment.id,
                other_assessment_title=other_assessment.title,
                other_invitation_id=other_invitation.id,
                lines=pair.a_lines,
                link=f"/team/assessments/{other_assessment.id}/candidates/{other_invitation.id}",
            )
        )
    return flags


def _compared_submissions(session: Session, assessment: Assessment, choice: AssessmentProblem) -> set[str]:
    by_invitation: dict[str, list[Attempt]] = {}
    for attempt in load_attempts(session, assessment.id):
        if attempt.entry.problem == choice.problem:
            by_invitation.setdefault(attempt.entry.invitation_id, []).append(attempt)
    ids = set()
    for attempts in by_invitation.values():
        chosen = compared(attempts, ScoringPolicy(assessment.scoring), choice.points)
        if chosen is not None:
            ids.add(chosen.current.id)
    return ids


def _compared(attempts: list[Attempt], assessment: Assessment, choice: AssessmentProblem) -> Attempt | None:
    mine = [a for a in attempts if a.entry.problem == choice.problem]
    return compared(mine, ScoringPolicy(assessment.scoring), choice.points)


def _similar(pair: SimilarPair, threshold: float) -> bool:
    return pair.score >= threshold and pair.shared_chars >= MIN_SHARED_CHARS


def _reference(problem: Problem) -> str:
    return problem.solution_path.read_text(encoding="utf-8")


def _text(source: bytes) -> str:
    return source.decode("utf-8", errors="replace")
