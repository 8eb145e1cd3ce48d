"""Server-sent events of one submission's progress: the loop the submission and candidate routes share.

A route supplies `poll(after_id)`, run in a worker thread, which answers the check events stored after
that cursor (each with its id and JSON data) and, once grading has finished, the final result as JSON.
The stream sends each check as it appears, then the result, and ends; keep-alive comments hold idle
connections open, and a stream open longer than `stream_max_s` ends with a `timeout` event.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

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
