"""Server-sent events of one submission's progress: the loop the submission and candidate routes share.

A route supplies `poll(after_id)`, run in a worker thread, which answers the check events stored after
that cursor (each with its id and JSON data) and, once grading has finished, the final result as JSON.
The stream sends each check as it appears, then the result, and ends; keep-alive comments hold idle
connections open, and a stream open longer than `stream_max_s` ends with a `timeout` event.

The models below are the events' data as the OpenAPI document names them (`stream_responses`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from judge.assessments.schemas import CandidateCheck
from judge.result import CheckResult
from judge.settings import Settings

#: An idle stream sends a comment this often, so that proxies do not close it.
KEEPALIVE_S = 15.0


class Progress(BaseModel):
    """What one poll found: new check events as (cursor id, JSON data), and the result once finished."""

    checks: list[tuple[int, str]]
    result: str | None = None


def sse(event: str, data: str, event_id: int | None = None) -> str:
    """One server-sent event in wire format."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {data}\n\n"


async def progress_events(poll: Callable[[int], Progress], after_id: int, settings: Settings) -> AsyncIterator[str]:
    """Check events after `after_id`, then the result; see the module docstring."""
    deadline = time.monotonic() + settings.service.stream_max_s
    last_sent = time.monotonic()
    while time.monotonic() < deadline:
        progress = await run_in_threadpool(poll, after_id)
        for check_id, data in progress.checks:
            after_id = check_id
            yield sse("check", data, check_id)
            last_sent = time.monotonic()
        if progress.result is not None:
            yield sse("result", progress.result)
            return
        if time.monotonic() - last_sent >= KEEPALIVE_S:
            yield ": keep-alive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(settings.service.poll_interval_s)
    yield sse("timeout", json.dumps({"detail": "the stream's time is up; reconnect with Last-Event-ID"}))


class SubmissionCheckEvent(CheckResult):
    """The data of a submission stream's `check` event: one finished check and the grading attempt it is from."""

    attempt: int = Field(description="The grading attempt (a regraded submission streams its checks again).")


class CandidateCheckEvent(CandidateCheck):
    """The data of a candidate stream's `check` event when the feedback level shows checks."""

    attempt: int = Field(description="The grading attempt (a regraded submission streams its checks again).")


class CheckProgress(BaseModel):
    """The data of a candidate stream's `check` event when the feedback level shows only progress."""

    attempt: int = Field(description="The grading attempt (a regraded submission streams its checks again).")
    done: int = Field(description="Checks finished so far.")
    total: int = Field(description="Checks the problem has.")


class StreamTimeout(BaseModel):
    """The data of the `timeout` event that ends a stream open longer than the server allows."""

    detail: str = Field(examples=["the stream's time is up; reconnect with Last-Event-ID"])


#: Every model an event's data may take, for the document's components.
EVENT_DATA: tuple[type[BaseModel], ...] = (SubmissionCheckEvent, CandidateCheckEvent, CheckProgress, StreamTimeout)


def _data(models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    return refs[0] if len(refs) == 1 else {"oneOf": refs}


def stream_responses(check: tuple[type[BaseModel], ...], result: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The 200 response of a route streaming `progress_events`: `check` events whose data is one of `check`, one
    `result` event whose data is `result`, or a `timeout` event.

    OpenAPI 3.1 has no schema for a stream's events (3.2's itemSchema is not in 3.1), so the body is a string
    whose contentSchema lists them: generated clients read it as text, and readers see each event's model.
    """
    events: list[tuple[str, tuple[type[BaseModel], ...], str]] = [
        ("check", check, "One per finished check; its id is the cursor to send as Last-Event-ID."),
        ("result", (result,), "Once grading has finished, the last event: the object as GET returns it."),
        ("timeout", (StreamTimeout,), "Instead of the result, when the stream was open too long: reconnect."),
    ]
    names = ", ".join(f"`{name}` ({' or '.join(model.__name__ for model in models)})" for name, models, _ in events)
    variants = [
        {
            "title": f"{name} event",
            "description": what,
            "type": "object",
            "properties": {"event": {"const": name}, "id": {"type": "integer"}, "data": _data(models)},
            "required": ["event", "data"],
        }
        for name, models, what in events
    ]
    return {
        200: {
            "description": f"Server-sent events with JSON data: {names}. Comment lines (`: keep-alive`) hold it open.",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "string",
                        "contentMediaType": "text/event-stream",
                        "contentSchema": {"oneOf": variants},
                    }
                }
            },
        }
    }
