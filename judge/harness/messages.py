"""The messages between the trusted runner and the candidate process, validated on arrival.

The candidate greets once it is ready; then the runner sends requests (limits, init, call) and the
candidate answers each with a Reply. Each message travels as one harness.wire frame. The values a
probe takes and returns (`CallRequest.args`, `Reply.value`) are whatever wire encodes: plain data and
tensors, never checked here. Nothing in a reply is believed as an outcome; the trusted checks judge it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


class LimitsRequest(BaseModel):
    """Apply the job's limits; trusted code answers it before any byte of the submission runs."""

    op: Literal["limits"] = "limits"
    cpu_s: int
    memory_mb: int


class InitRequest(BaseModel):
    """Load the problem's probes and import the submission."""

    op: Literal["init"] = "init"
    probes: str = Field(description="The source of the problem's probes module.")
    entrypoint: str = Field(description="The submission's file, relative to the work dir.")


class CallRequest(BaseModel):
    """Run `probes.<probe>(solution, *args)` with torch seeded by `seed`."""

    op: Literal["call"] = "call"
    probe: str
    args: list[Any]
    seed: int


Request = Annotated[LimitsRequest | InitRequest | CallRequest, Field(discriminator="op")]
#: Parses any one request.
REQUEST: TypeAdapter[LimitsRequest | InitRequest | CallRequest] = TypeAdapter(Request)


class CandidateError(BaseModel):
    """An exception in the candidate process: its type's name, its message, and where in the submission."""

    type: str
    message: str
    where: str = ""


class Reply(BaseModel):
    """The answer to one request: `value` (a probe's result) when `ok`, else `error`."""

    ok: bool
    value: Any = None
    error: CandidateError | None = None


class Greeting(BaseModel):
    """The candidate process is isolated and ready; until it is sent, no candidate byte has run."""

    ready: Literal[True] = True


def plain(message: BaseModel) -> dict[str, Any]:
    """The message's fields as wire.encode takes them, values (tensors included) left as they are."""
    return {name: plain(value) if isinstance(value, BaseModel) else value for name, value in message}
