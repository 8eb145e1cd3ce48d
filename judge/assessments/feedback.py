"""What a candidate sees of a graded submission, by the assessment's feedback level.

While the assessment runs: `full` shows every check with its message (and a quiz question's
explanation), `check_names` each check's id, outcome and points only, `score_only` the score only
(no verdict, no checks). Once the window has closed nobody can submit any more, so every candidate
sees full feedback. Points are scaled to what the problem is worth in the assessment.

A quiz is the exception: its checks are its questions, so right/wrong per question (let alone an
explanation naming the right option) would hand the key to the next attempt. A quiz's submissions show
their score alone until the candidate can no longer submit that quiz (every attempt used, their time
over, or the window closed), and then everything only at full feedback. The team always sees all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from judge.assessments import clock
from judge.assessments.schemas import CandidateCheck, CandidateState
from judge.problem import Problem
from judge.result import CheckResult
from judge.storage.models import Assessment, FeedbackLevel, Invitation


def level_at(assessment: Assessment, now: datetime) -> FeedbackLevel:
    """The feedback level in force at `now`: the assessment's while open, full after it closes."""
    return FeedbackLevel.FULL if now >= assessment.closes_at else FeedbackLevel(assessment.feedback)


def quiz_settled(assessment: Assessment, invitation: Invitation, attempts_used: int, now: datetime) -> bool:
    """Whether the candidate can no longer submit a quiz: every attempt used, or their time (or the
    window) over."""
    over = clock.state_of(assessment, invitation, now) is CandidateState.FINISHED
    return over or attempts_used >= assessment.max_attempts


@dataclass(frozen=True)
class Shown:
    """The level one problem's attempts are shown at, and what the candidate is told about the rest."""

    level: FeedbackLevel
    withheld: str | None = None


#: What a quiz submission says while its questions are hidden.
QUIZ_WITHHELD_UNTIL_SETTLED = (
    "Only your score is shown for now. Which questions you got right, with explanations, is shown once "
    "your last attempt at this quiz is used or your time is over."
)
QUIZ_WITHHELD_UNTIL_CLOSE = "Only your score is shown while the assessment is open."


def candidate_level(level: FeedbackLevel, *, quiz: bool, settled: bool) -> Shown:
    """How one problem's attempts are shown: at `level`, except that a quiz is score only until it is
    settled, and stays score only below full feedback."""
    if not quiz or level is FeedbackLevel.SCORE_ONLY:
        return Shown(level)
    if level is not FeedbackLevel.FULL:
        return Shown(FeedbackLevel.SCORE_ONLY, QUIZ_WITHHELD_UNTIL_CLOSE)
    return Shown(level) if settled else Shown(FeedbackLevel.SCORE_ONLY, QUIZ_WITHHELD_UNTIL_SETTLED)


def scale(points: float, raw: float | None, raw_max: float | None) -> float | None:
    """`raw` out of `raw_max`, as a share of `points`."""
    if raw is None or raw_max is None:
        return None
    return round(points * raw / raw_max, 6) if raw_max > 0 else 0.0


def check_view(
    check: CheckResult, level: FeedbackLevel, points: float, raw_max: float, problem: Problem | None
) -> CandidateCheck | None:
    """One check as `level` shows it; None at score_only (nothing per check)."""
    if level is FeedbackLevel.SCORE_ONLY:
        return None
    full = level is FeedbackLevel.FULL
    explanation = None
    if full and problem is not None and problem.quiz is not None:
        explanation = next((q.explanation for q in problem.quiz.questions if q.id == check.id), None)
    return CandidateCheck(
        id=check.id,
        outcome=check.outcome,
        points=scale(points, check.points, raw_max) or 0.0,
        max_points=scale(points, check.max_points, raw_max) or 0.0,
        message=check.message if full else None,
        explanation=explanation,
        series=check.series,
    )
