"""Events the trusted runner streams to the host, one JSON line each, validated on arrival."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from judge.result import MAX_MARGINS_PER_CHECK, MAX_SERIES_PER_CHECK, Margin, Outcome, Series

MAX_EVENT_BYTES = 16 * 1024


class CheckEvent(BaseModel):
    """One check finished."""

    type: Literal["check"] = "check"
    id: str = Field(max_length=64)
    outcome: Outcome
    message: str = Field(default="", max_length=400)
    duration_s: float = Field(ge=0)
    limit: Literal["memory", "time"] | None = Field(default=None, description="A resource limit this check hit.")
    series: list[Series] = Field(
        default_factory=list, max_length=MAX_SERIES_PER_CHECK, description="Curves the check recorded."
    )
    margins: list[Margin] = Field(
        default_factory=list, max_length=MAX_MARGINS_PER_CHECK, description="Thresholds and what was measured."
    )


class FaultEvent(BaseModel):
    """The harness itself failed: a fault of the judge, never charged to the candidate."""

    type: Literal["fault"] = "fault"
    message: str = Field(max_length=2000)
    source: Literal["checks", "sandbox"] = Field(
        default="sandbox",
        description="checks: the problem's checks failed the runner; sandbox: a candidate process could not be run.",
    )


class DoneEvent(BaseModel):
    """The runner finished every check."""

    type: Literal["done"] = "done"


class ReadyEvent(BaseModel):
    """A warm runner has its first candidate process started and greeted, and waits for its job."""

    type: Literal["ready"] = "ready"


class EventEnvelope(BaseModel):
    """Parses any one event line."""

    event: Annotated[CheckEvent | FaultEvent | DoneEvent, Field(discriminator="type")]


class WarmEnvelope(BaseModel):
    """Parses a warm runner's first line: ready, or the fault that kept it from getting ready."""

    event: Annotated[ReadyEvent | FaultEvent, Field(discriminator="type")]
