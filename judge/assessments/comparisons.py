"""Two candidates' code for one problem side by side, the lines their similarity rests on marked in
both: what a reviewer reads before deciding whether a similar pair is a copy.

The compared code is the attempt each candidate is compared by on the dashboard (the one that counts,
else the latest), and the marked lines are the similarity's own matches (copydetect's fingerprint
slices, starter code excluded), so the page shows exactly what the dashboard's score measured."""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from judge.assessments.attempts import compared, load_attempts
from judge.assessments.errors import EntryNotFound, InvalidAssessment, ProblemNotInAssessment
from judge.assessments.service import assessment_problems, choice_problem, team_invitation
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.similarity import LineRange, all_pairs
from judge.storage.models import ScoringPolicy


class ComparedLine(BaseModel):
    """One line of a candidate's code and whether the other candidate's code shares it."""

    number: int = Field(ge=1)
    text: str
    shared: bool


class ComparedCode(BaseModel):
    """One side of a comparison: whose code, which attempt, its lines."""

    invitation_id: str
    candidate_name: str
    attempt: int = Field(ge=1, description="The attempt's number among the candidate's attempts at the problem.")
    shared_fraction: float = Field(
        ge=0, le=1, description="Share of this code's own (non-starter) text found in the other."
    )
    lines: list[ComparedLine]


class Comparison(BaseModel):
    """Two candidates' code for one problem, side by side."""

    assessment_id: str
    problem: str
    similarity: float = Field(ge=0, le=1, description="The larger of the two shared fractions, as on the dashboard.")
    left: ComparedCode
    right: ComparedCode


def compare(
    session: Session,
    bank: ProblemBank,
    viewer: Viewer,
    assessment_id: str,
    problem: str,
    invitation_a: str,
    invitation_b: str,
) -> Comparison:
    """The compared attempts of two candidates of one of the viewer's team's assessments at `problem`,
    with the lines their similarity matched; not-found errors for anything not in that assessment."""
    if invitation_a == invitation_b:
        raise InvalidAssessment("compare two different candidates")
    assessment, first = team_invitation(session, viewer, assessment_id, invitation_a)
    _, second = team_invitation(session, viewer, assessment_id, invitation_b)
    choice = next((c for c in assessment_problems(session, assessment.id) if c.problem == problem), None)
    if choice is None:
        raise ProblemNotInAssessment(f"problem {problem!r} is not part of assessment {assessment_id!r}")
    loaded = choice_problem(bank, choice)
    starter = loaded.starter() if loaded is not None else ""
    policy = ScoringPolicy(assessment.scoring)
    sources, numbers = {}, {}
    for invitation in (first, second):
        mine = [a for a in load_attempts(session, assessment.id, invitation.id) if a.entry.problem == problem]
        attempt = compared(mine, policy, choice.points)
        if attempt is None:
            raise EntryNotFound(f"{invitation.candidate_name} has no attempt at {problem!r}")
        sources[invitation.id] = attempt.current.source.decode("utf-8", errors="replace")
        numbers[invitation.id] = attempt.entry.number
    (pair,) = all_pairs(sources, starter)
    matched = {pair.a: (pair.a_lines, pair.a_fraction), pair.b: (pair.b_lines, pair.b_fraction)}

    def side(invitation_id: str, name: str) -> ComparedCode:
        ranges, fraction = matched[invitation_id]
        return ComparedCode(
            invitation_id=invitation_id,
            candidate_name=name,
            attempt=numbers[invitation_id],
            shared_fraction=fraction,
            lines=marked_lines(sources[invitation_id], ranges),
        )

    return Comparison(
        assessment_id=assessment.id,
        problem=problem,
        similarity=pair.score,
        left=side(first.id, first.candidate_name),
        right=side(second.id, second.candidate_name),
    )


def marked_lines(source: str, ranges: list[LineRange]) -> list[ComparedLine]:
    """`source` line by line, the lines within `ranges` marked shared."""
    shared = {n for r in ranges for n in range(r.start, r.end + 1)}
    return [ComparedLine(number=i, text=text, shared=i in shared) for i, text in enumerate(source.splitlines(), 1)]
