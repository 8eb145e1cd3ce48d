"""/runs and /candidate/runs: run code against a problem's public checks, without it counting (judge/runs.py).

A practice Run takes an API key; a candidate's Run the invitation (and, with its cookie, X-CSRF-Token),
while the candidate could submit. Each caller's Runs are limited to settings.rate_limits.runs_per_minute
(429 with Retry-After). A Run is readable only by whoever made it; anyone else's is a 404.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from judge import runs
from judge.api.event_stream import Progress, progress_events, stream_responses
from judge.api.routes.candidate import CSRF, CurrentInvitation
from judge.app.deps import CurrentCaller, DbSession, State, viewer_of
from judge.app.errors import ProblemDetails, Responses
from judge.app.state import ServiceState
from judge.runs import RunCheck, RunCreate, RunView
from judge.storage.submissions import FINISHED

router = APIRouter(prefix="/runs", tags=["runs"])
candidate_router = APIRouter(prefix="/candidate/runs", tags=["candidate"])

LIMITED: Responses = {
    429: {"model": ProblemDetails, "description": "Over the rate limit or the Runs a minute; see Retry-After."}
}
NOT_FOUND: Responses = {404: {"model": ProblemDetails, "description": "Unknown problem, or not one of your Runs."}}
REFUSED: Responses = {
    422: {"model": ProblemDetails, "description": "Invalid body or source, or a problem with no public checks."}
}
KEY: Responses = {401: {"model": ProblemDetails, "description": "No valid API key."}}
INVITATION: Responses = {
    401: {"model": ProblemDetails, "description": "No invitation token, or an unknown, withdrawn or expired one."}
}
WINDOW: Responses = {
    403: {
        "model": ProblemDetails,
        "description": "Outside the window or after your time; or the cookie without a matching X-CSRF-Token.",
    },
    409: {"model": ProblemDetails, "description": "Not started yet."},
}
LastEventId = Annotated[int, Header(alias="Last-Event-ID", description="Resume after this event id.")]
EVENTS_DESCRIPTION = (
    "text/event-stream: one `check` event per finished public check (id, title, outcome, message), then one "
    "`result` event with the Run as GET returns it. Reconnect with `Last-Event-ID` to resume."
)
STREAM: Responses = stream_responses((RunCheck,), RunView)
Wait = Annotated[float, Query(ge=0, description="Seconds to wait for the Run to finish (long poll).")]
RUN_DESCRIPTION = (
    "JSON `{problem, source}`. The code runs in the sandbox against the problem's public checks only; the "
    "answer is 202 with the Run, whose GET (`?wait=S` to long-poll) gives each check's outcome and what the "
    "code printed (capped). A Run uses no attempt and counts in no score, report or listing."
)


async def _waiting(state: ServiceState, wait: float, read: Callable[[], RunView]) -> RunView:
    """`read` until the Run is finished or `wait` seconds (capped by the server) have passed."""
    deadline = time.monotonic() + min(wait, state.settings.service.max_wait_s)
    while True:
        view = await run_in_threadpool(read)
        if view.status.value in FINISHED or time.monotonic() >= deadline:
            return view
        await asyncio.sleep(min(state.settings.service.poll_interval_s, max(0.0, deadline - time.monotonic())))


def _stream(state: ServiceState, read: Callable[[Session], RunView], after_id: int) -> StreamingResponse:
    """The Run's events (see EVENTS_DESCRIPTION), `read` answering it as the caller's own or raising RunNotFound."""

    def poll(after: int) -> Progress:
        with state.sessions() as session:
            view = read(session)
            checks = [
                (event_id, check.model_dump_json())
                for event_id, check in runs.run_checks_after(session, state.bank, view.id, after)
            ]
            return Progress(checks=checks, result=view.model_dump_json() if view.status.value in FINISHED else None)

    events: AsyncIterator[str] = progress_events(poll, after_id, state.settings)
    return StreamingResponse(
        events, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.post(
    "",
    status_code=202,
    response_model=RunView,
    summary="Run code against a practice problem's public checks",
    description=RUN_DESCRIPTION,
    responses={**KEY, **LIMITED, **NOT_FOUND, **REFUSED},
)
def create_run(body: RunCreate, session: DbSession, state: State, caller: CurrentCaller) -> RunView:
    """Queue a practice Run."""
    state.limits.take_run(caller.key_id)
    return runs.start_practice_run(session, state.bank, caller.key_id, viewer_of(caller), body, state.enqueue)


@router.get(
    "/{run_id}",
    response_model=RunView,
    summary="One of your Runs",
    responses={**KEY, **LIMITED, **NOT_FOUND},
)
async def get_run(run_id: str, state: State, caller: CurrentCaller, wait: Wait = 0) -> RunView:
    """A practice Run, optionally waiting for it."""

    def read() -> RunView:
        with state.sessions() as session:
            return runs.practice_run(session, state.bank, caller.key_id, run_id)

    return await _waiting(state, wait, read)


@candidate_router.post(
    "",
    status_code=202,
    response_model=RunView,
    summary="Run your code against the problem's public checks",
    description=RUN_DESCRIPTION + " Accepted only while you could submit: the window open and your time running.",
    responses={**INVITATION, **CSRF, **WINDOW, **LIMITED, **NOT_FOUND, **REFUSED},
)
def create_candidate_run(body: RunCreate, session: DbSession, state: State, invitation: CurrentInvitation) -> RunView:
    """Queue a candidate's Run."""
    state.limits.take_run(f"invitation:{invitation.id}")
    return runs.start_candidate_run(session, state.bank, invitation, body, state.clock(), state.enqueue)


@candidate_router.get(
    "/{run_id}",
    response_model=RunView,
    summary="One of your Runs",
    responses={**INVITATION, **LIMITED, **NOT_FOUND},
)
async def get_candidate_run(run_id: str, state: State, invitation: CurrentInvitation, wait: Wait = 0) -> RunView:
    """A candidate's Run, optionally waiting for it."""
    invitation_id = invitation.id

    def read() -> RunView:
        with state.sessions() as session:
            return runs.candidate_run(session, state.bank, invitation_id, run_id)

    return await _waiting(state, wait, read)


@router.get(
    "/{run_id}/events",
    summary="Stream one of your Runs' checks as server-sent events",
    description=EVENTS_DESCRIPTION,
    response_class=StreamingResponse,
    responses={**KEY, **LIMITED, **NOT_FOUND, **STREAM},
)
async def stream_run_events(
    run_id: str, state: State, caller: CurrentCaller, last_event_id: LastEventId = 0
) -> StreamingResponse:
    """Server-sent events of a practice Run."""

    def read(session: Session) -> RunView:
        return runs.practice_run(session, state.bank, caller.key_id, run_id)

    await run_in_threadpool(_check_readable, state, read)
    return _stream(state, read, last_event_id)


@candidate_router.get(
    "/{run_id}/events",
    summary="Stream one of your Runs' checks as server-sent events",
    description=EVENTS_DESCRIPTION,
    response_class=StreamingResponse,
    responses={**INVITATION, **LIMITED, **NOT_FOUND, **STREAM},
)
async def stream_candidate_run_events(
    run_id: str, state: State, invitation: CurrentInvitation, last_event_id: LastEventId = 0
) -> StreamingResponse:
    """Server-sent events of a candidate's Run."""
    invitation_id = invitation.id

    def read(session: Session) -> RunView:
        return runs.candidate_run(session, state.bank, invitation_id, run_id)

    await run_in_threadpool(_check_readable, state, read)
    return _stream(state, read, last_event_id)


def _check_readable(state: ServiceState, read: Callable[[Session], RunView]) -> None:
    """RunNotFound (404) before the stream starts, not inside it."""
    with state.sessions() as session:
        read(session)
