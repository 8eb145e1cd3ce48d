"""/runs and /candidate/runs: run code against a problem's public checks, without it counting (judge/runs.py).

A practice Run takes an API key; a candidate's Run the invitation (and, with its cookie, X-CSRF-Token),
while the candidate could submit. Each caller's Runs are limited to settings.rate_limits.runs_per_minute
(429 with Retry-After). A Run is readable only by whoever made it; anyone else's is a 404.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from judge import runs
from judge.api.routes.candidate import CSRF, CurrentInvitation
from judge.app.deps import CurrentCaller, DbSession, State, viewer_of
from judge.app.errors import ProblemDetails, Responses
from judge.app.state import ServiceState
from judge.runs import RunCreate, RunView
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
