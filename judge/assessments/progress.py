"""What a candidate's submission page lists while the submission is graded: every check of the problem,
in the order the result will list them, so that each check's event fills its own row and the page can
say "N of M checks finished"."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from judge.assessments import feedback, service
from judge.bank.loader import ProblemBank
from judge.storage.models import FeedbackLevel, Invitation


class ProgressPlan(BaseModel):
    """The checks a grading will report."""

    total: int = Field(description="How many checks the grading runs.")
    checks: list[str] = Field(
        description="Their ids in the result's order; empty where the feedback level names no check."
    )


def progress_plan(
    session: Session, bank: ProblemBank, invitation: Invitation, entry_id: str, now: datetime
) -> ProgressPlan:
    """The checks the candidate's submission `entry_id` is graded with, as its feedback level lets them be named."""
    attempt = service.candidate_attempt(session, invitation, entry_id)
    assessment = service.assessment_of(session, invitation)
    choice = service.assessment_choice(session, assessment, attempt.entry.problem)
    problem = service.choice_problem(bank, choice)
    ids = [spec.id for spec in problem.check_specs] if problem else []
    named = feedback.level_at(assessment, now) is not FeedbackLevel.SCORE_ONLY
    return ProgressPlan(total=len(ids), checks=ids if named else [])
