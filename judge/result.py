"""The result of grading one submission: verdicts and per-check outcomes are data, not exceptions."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from judge.syntax import SyntaxProblem


class Verdict(StrEnum):
    """The overall verdict of one graded submission."""

    ACCEPTED = "accepted"
    PARTIAL = "partial"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    # The file does not compile: nothing ran, and GradeResult.compile_error says where and why.
    COMPILE_ERROR = "compile_error"
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


#: At most this many series per check, of at most this many points each: a check event stays far
#: under the runner's event-size limit, and a page plots them without thinning.
MAX_SERIES_PER_CHECK = 4
MAX_SERIES_POINTS = 200
SERIES_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class Series(BaseModel):
    """Numbers a check recorded from the candidate's run, in order (e.g. the training loss per step),
    for plotting; never scored. None marks a point that was not a finite number."""

    model_config = ConfigDict(allow_inf_nan=False)

    name: str = Field(pattern=SERIES_NAME_PATTERN, description="What the numbers are, e.g. loss.")
    values: list[float | None] = Field(
        max_length=MAX_SERIES_POINTS, description="One value per step; None where not finite."
    )


#: At most this many margins per check (judge.harness.expect.record_margin).
MAX_MARGINS_PER_CHECK = 8
#: "max": the measured value must stay at or under the threshold; "min": at or over it.
Bound = Literal["max", "min"]


class Margin(BaseModel):
    """What a threshold check measured and the threshold it compared it with, for problem authors
    (`judge problems validate --seeds N`); never scored, and left out of serialised results."""

    model_config = ConfigDict(allow_inf_nan=False)

    name: str = Field(pattern=SERIES_NAME_PATTERN, description="What was measured, e.g. loss_ratio.")
    measured: float | None = Field(description="The value measured; None where it was not a finite number.")
    threshold: float
    bound: Bound = "max"

    @property
    def ratio(self) -> float | None:
        """How much of the allowance the measured value used: 1 is on the threshold, over 1 past it
        (measured / threshold for a "max" bound, threshold / measured for "min"); None when undefined."""
        if self.measured is None:
            return None
        numerator, denominator = (
            (self.measured, self.threshold) if self.bound == "max" else (self.threshold, self.measured)
        )
        return numerator / denominator if denominator > 0 and numerator >= 0 else None


class CheckResult(BaseModel):
    """The outcome of one check and the points it earned."""

    id: str
    category: str
    outcome: Outcome
    points: float = Field(ge=0)
    max_points: float = Field(ge=0)
    message: str = ""
    series: list[Series] = Field(
        default_factory=list, max_length=MAX_SERIES_PER_CHECK, description="Recorded curves, e.g. the loss."
    )
    # For authors' validation only: kept out of results as stored, sent and printed.
    margins: list[Margin] = Field(default_factory=list, max_length=MAX_MARGINS_PER_CHECK, exclude=True)


class GradeResult(BaseModel):
    """The whole result of grading one submission against one problem."""

    problem: str
    verdict: Verdict
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    checks: list[CheckResult]
    compile_error: SyntaxProblem | None = Field(
        default=None, description="Where and why the file does not compile (verdict compile_error); else null."
    )
