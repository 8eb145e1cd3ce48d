"""The result of grading one submission: verdicts and per-check outcomes are data, not exceptions."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Verdict(StrEnum):
    """The overall verdict of one graded submission."""

    ACCEPTED = "accepted"
    PARTIAL = "partial"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    # Reserved for faults of the judge itself; never produced by grading a candidate's code.
    INTERNAL_ERROR = "internal_error"


class Outcome(StrEnum):
    """What happened to one check."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"


MESSAGE_CAP_CHARS = 300


def cap_message(text: str, limit: int = MESSAGE_CAP_CHARS) -> str:
    """Cut a message to `limit` characters, marking the cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class CheckResult(BaseModel):
    """The outcome of one check and the points it earned."""

    id: str
    category: str
    outcome: Outcome
    points: float = Field(ge=0)
    max_points: float = Field(ge=0)
    message: str = ""


class GradeResult(BaseModel):
    """The whole result of grading one submission against one problem."""

    problem: str
    verdict: Verdict
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    checks: list[CheckResult]
