"""A submission's server-sent events (GET .../events), parsed from the wire into typed events.

The service sends one `check` event per finished check (data: the check's result plus the grading
attempt; id: a cursor), then one `result` event (data: the submission as GET answers it), and ends the
stream; a stream open too long ends with a `timeout` event instead, and is resumed with Last-Event-ID.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from pydantic import BaseModel, Field

from judge.assessments.schemas import CandidateCheck, CandidateSubmissionView
from judge.result import CheckResult
from judge.views import SubmissionView


class ServerSentEvent(BaseModel):
    """One event as it came over the wire (text/event-stream)."""

    event: str = "message"
    data: str = ""
    id: str | None = None


class CheckEvent(BaseModel):
    """A check of a submission finished."""

    event_id: int = Field(description="The cursor to resume after (Last-Event-ID).")
    attempt: int = Field(description="The grading attempt; a regraded submission streams its checks again.")
    check: CheckResult


class ResultEvent(BaseModel):
    """The submission finished; the stream ends after it."""

    submission: SubmissionView


class CandidateCheckEvent(BaseModel):
    """A check of a candidate's submission finished, as the assessment's feedback level shows it: the
    check at full and check_names feedback, only the progress (`done` of `total`) at score_only."""

    event_id: int
    attempt: int
    check: CandidateCheck | None = None
    done: int | None = None
    total: int | None = None


class CandidateResultEvent(BaseModel):
    """The candidate's submission finished; the stream ends after it."""

    submission: CandidateSubmissionView


SubmissionEvent = CheckEvent | ResultEvent
CandidateEvent = CandidateCheckEvent | CandidateResultEvent

#: The event that ends a stream whose time is up (the service's stream_max_s): reconnect to go on.
TIMEOUT_EVENT = "timeout"


def parse_stream(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Events from the stream's lines, by the text/event-stream rules: `field: value` lines, a blank line
    ends an event, lines starting with `:` are comments (keep-alives)."""
    event, data, event_id = "message", list[str](), None
    for line in lines:
        if not line:
            if data or event != "message":
                yield ServerSentEvent(event=event, data="\n".join(data), id=event_id)
            event, data, event_id = "message", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            event_id = value


def submission_event(message: ServerSentEvent) -> SubmissionEvent | None:
    """The typed event of a /submissions stream; None for one this client does not know (skipped, so that
    a service that adds event kinds does not break it)."""
    if message.event == "check":
        payload = json.loads(message.data)
        attempt = payload.pop("attempt")
        return CheckEvent(event_id=int(message.id or 0), attempt=attempt, check=CheckResult.model_validate(payload))
    if message.event == "result":
        return ResultEvent(submission=SubmissionView.model_validate_json(message.data))
    return None


def candidate_event(message: ServerSentEvent) -> CandidateEvent | None:
    """The typed event of a /candidate stream; None for one this client does not know."""
    if message.event == "check":
        payload = json.loads(message.data)
        attempt = payload.pop("attempt")
        event_id = int(message.id or 0)
        if "done" in payload:
            return CandidateCheckEvent(event_id=event_id, attempt=attempt, done=payload["done"], total=payload["total"])
        return CandidateCheckEvent(event_id=event_id, attempt=attempt, check=CandidateCheck.model_validate(payload))
    if message.event == "result":
        return CandidateResultEvent(submission=CandidateSubmissionView.model_validate_json(message.data))
    return None
