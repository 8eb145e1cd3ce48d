"""/candidate: a candidate taking an assessment, authenticated by their invitation token (not an API key).

The token comes as `Authorization: Bearer inv_...`, as `X-Invitation-Token`, or in the cookie the
invite page sets. A browser sends that cookie whichever site made the request, so a POST that the
cookie authenticates must also carry `X-CSRF-Token` (the HMAC of the cookie, which only this site's
candidate pages hand out, in their `csrf-token` meta tag); without it the answer is 403. Another
candidate's submission is a 404, as is a problem outside the assessment.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Header, Path, Query, Request, Response, Security
from fastapi.responses import PlainTextResponse, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from judge.api.event_stream import CandidateCheckEvent, CheckProgress, Progress, progress_events, stream_responses
from judge.app.cookies import INVITATION_COOKIE
from judge.app.deps import DbSession, State, open_invitation
from judge.app.errors import Forbidden, ProblemDetails, Responses
from judge.app.sessions import CSRF_HEADER, invitation_csrf_valid, session_secret
from judge.app.starters import StarterFormat, StarterFormatQuery, starter_response
from judge.app.state import ServiceState
from judge.assessments import drafts, feedback, service
from judge.assessments.drafts import DraftSave, DraftView
from judge.assessments.errors import InvalidInvitationToken
from judge.assessments.schemas import (
    CandidateOverview,
    CandidateProblem,
    CandidateSubmissionCreate,
    CandidateSubmissionView,
)
from judge.problem import SLUG_PATTERN
from judge.storage import submissions
from judge.storage.models import Invitation
from judge.storage.submissions import FINISHED

router = APIRouter(prefix="/candidate", tags=["candidate"])

_bearer = HTTPBearer(
    auto_error=False, scheme_name="InvitationToken", description="Authorization: Bearer <invitation token>"
)
_header = APIKeyHeader(
    name="X-Invitation-Token", auto_error=False, description="The invitation token, as an alternative to Bearer."
)

#: Methods that change nothing: a cross-site request can make them but learns nothing from the answer.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No invitation token, or an unknown, withdrawn or expired one."},
    429: {"model": ProblemDetails, "description": "Too many requests; see Retry-After."},
}
NOT_FOUND: Responses = {
    404: {"model": ProblemDetails, "description": "Not a problem of this assessment, or not one of your submissions."}
}
CSRF: Responses = {
    403: {
        "model": ProblemDetails,
        "description": "Authenticated by the invitation cookie without a matching X-CSRF-Token.",
    }
}
WINDOW: Responses = {
    403: {
        "model": ProblemDetails,
        "description": "Before the window opens, after it closes, or after your time is up; or the cookie without a matching X-CSRF-Token.",
    }
}
CONFLICT: Responses = {
    409: {"model": ProblemDetails, "description": "Not started yet, or every attempt at the problem used."}
}
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The problem's slug.")]


def get_invitation(
    request: Request,
    state: State,
    session: DbSession,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
    cookie: Annotated[str | None, Cookie(alias=INVITATION_COOKIE, include_in_schema=False)] = None,
) -> Invitation:
    """The invitation the presented token opens, within its rate limit; a change that the cookie
    authenticates needs the cookie's CSRF token too."""
    presented = (bearer.credentials if bearer is not None else None) or header
    if not presented and cookie and request.method not in SAFE_METHODS:
        if not invitation_csrf_valid(session_secret(state.settings), cookie, request.headers.get(CSRF_HEADER)):
            raise Forbidden(
                f"a request authenticated by the invitation cookie must carry a matching {CSRF_HEADER} header"
            )
    presented = presented or cookie
    if not presented:
        raise InvalidInvitationToken("an invitation token is required: open the link from your invitation")
    return open_invitation(request, state, session, presented, state.clock())


CurrentInvitation = Annotated[Invitation, Depends(get_invitation)]


@router.get(
    "", response_model=CandidateOverview, summary="The assessment, your clock and your problems", responses=ERRORS
)
def get_candidate_overview(session: DbSession, state: State, invitation: CurrentInvitation) -> CandidateOverview:
    """The overview, with the remaining time."""
    now = state.clock()
    drafts.submit_when_time_up(session, state.bank, now, state.enqueue, invitation.id)
    return service.overview(session, state.bank, invitation, now)


@router.post(
    "/start",
    response_model=CandidateOverview,
    summary="Start your clock",
    description="Your time (the assessment's duration, never past its close) starts now. Starting again changes nothing.",
    responses={**ERRORS, **WINDOW},
)
def start_assessment(session: DbSession, state: State, invitation: CurrentInvitation) -> CandidateOverview:
    """Press Start."""
    return service.start(session, state.bank, invitation, state.clock())


@router.post(
    "/finish",
    response_model=CandidateOverview,
    summary="End your assessment now",
    description="No more submissions are accepted; what you submitted is graded and counted.",
    responses={**ERRORS, **CSRF, **CONFLICT},
)
def finish_assessment(session: DbSession, state: State, invitation: CurrentInvitation) -> CandidateOverview:
    """End early."""
    return service.finish(session, state.bank, invitation, state.clock())


@router.get(
    "/problems/{slug}",
    response_model=CandidateProblem,
    summary="A problem's statement and starter",
    description="Shown once you have started.",
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def get_candidate_problem(
    slug: Slug, session: DbSession, state: State, invitation: CurrentInvitation
) -> CandidateProblem:
    """One problem of the assessment."""
    return service.candidate_problem(session, state.bank, invitation, slug, state.clock())


@router.get(
    "/problems/{slug}/starter",
    response_class=PlainTextResponse,
    summary="Download a problem's starter",
    description=(
        "As `GET /api/v1/problems/{slug}/starter`: `format=py` (default), `ipynb` (a Jupyter notebook) or "
        "`zip` (each file of a problem of several files). Once you have started."
    ),
    responses={
        **ERRORS,
        **NOT_FOUND,
        **CONFLICT,
        422: {"model": ProblemDetails, "description": "A format this problem's starter does not come in."},
    },
)
def get_candidate_problem_starter(
    slug: Slug,
    session: DbSession,
    state: State,
    invitation: CurrentInvitation,
    format: StarterFormatQuery = StarterFormat.PY,
) -> Response:
    """The starter of one problem of the assessment."""
    return starter_response(service.starter_problem(session, state.bank, invitation, slug), format)


@router.post(
    "/submissions",
    status_code=202,
    response_model=CandidateSubmissionView,
    summary="Submit an attempt",
    description=(
        "JSON `{problem, source}`: the code, or a quiz's answers JSON as text. Accepted only while the window "
        "is open, your time runs and you have attempts left; once accepted it is stored before this answer "
        "and counted even if grading finishes after your time."
    ),
    responses={
        **ERRORS,
        **NOT_FOUND,
        **WINDOW,
        **CONFLICT,
        422: {"model": ProblemDetails, "description": "Invalid body or source."},
    },
)
def create_candidate_submission(
    body: CandidateSubmissionCreate, session: DbSession, state: State, invitation: CurrentInvitation
) -> CandidateSubmissionView:
    """Submit one attempt."""
    return service.submit(session, state.bank, invitation, body, state.clock(), state.enqueue)


@router.get("/submissions", response_model=list[CandidateSubmissionView], summary="Your submissions", responses=ERRORS)
def list_candidate_submissions(
    session: DbSession, state: State, invitation: CurrentInvitation
) -> list[CandidateSubmissionView]:
    """Newest first, as the feedback level shows them."""
    return service.candidate_submissions(session, state.bank, invitation, state.clock())


def _view(state: ServiceState, invitation_id: str, entry_id: str) -> CandidateSubmissionView:
    with state.sessions() as session:
        invitation = session.get_one(Invitation, invitation_id)
        return service.candidate_submission(session, state.bank, invitation, entry_id, state.clock())


@router.get(
    "/submissions/{entry_id}",
    response_model=CandidateSubmissionView,
    summary="One of your submissions",
    description="With `?wait=S` the answer waits up to S seconds (capped by the server) for grading to finish.",
    responses={**ERRORS, **NOT_FOUND},
)
async def get_candidate_submission(
    entry_id: str,
    state: State,
    invitation: CurrentInvitation,
    wait: Annotated[float, Query(ge=0, description="Seconds to wait for grading to finish (long poll).")] = 0,
) -> CandidateSubmissionView:
    """One submission, optionally waiting for it."""
    deadline = time.monotonic() + min(wait, state.settings.service.max_wait_s)
    while True:
        view = await run_in_threadpool(_view, state, invitation.id, entry_id)
        if view.status.value in FINISHED or time.monotonic() >= deadline:
            return view
        await asyncio.sleep(min(state.settings.service.poll_interval_s, max(0.0, deadline - time.monotonic())))


def _events(state: ServiceState, invitation_id: str, entry_id: str, after_id: int) -> AsyncIterator[str]:
    settings = state.settings
    done = 0

    def poll(after: int) -> Progress:
        nonlocal done
        with state.sessions() as session:
            invitation = session.get_one(Invitation, invitation_id)
            attempt = service.candidate_attempt(session, invitation, entry_id)
            assessment = service.assessment_of(session, invitation)
            choice = service.assessment_choice(session, assessment, attempt.entry.problem)
            points = choice.points
            problem = service.choice_problem(state.bank, choice)
            level = service.candidate_level(session, invitation, choice, problem, state.clock()).level
            grading = attempt.current
            total = len(problem.check_specs) if problem else 0
            raw_max = problem.max_score if problem else 0.0
            checks = []
            for row in submissions.checks_after(session, grading.id, after):
                done += 1
                view = feedback.check_view(submissions.check_of(row), level, points, raw_max, problem)
                if view is None:  # score_only: progress, nothing per check
                    payload = {"attempt": row.attempt, "done": done, "total": total}
                else:
                    payload = {"attempt": row.attempt, **view.model_dump(mode="json")}
                checks.append((row.id, json.dumps(payload)))
            result = None
            if grading.status in FINISHED:
                result = service.candidate_submission(
                    session, state.bank, invitation, entry_id, state.clock()
                ).model_dump_json()
            return Progress(checks=checks, result=result)

    return progress_events(poll, after_id, settings)


@router.get(
    "/submissions/{entry_id}/events",
    summary="Stream a submission's progress as server-sent events",
    description=(
        "text/event-stream: one `check` event per finished check, filtered by the feedback level (at "
        "score_only only `{done, total}`; a quiz sends only these until your last attempt at it is used or "
        "your time is over), then one `result` event with the submission as GET returns it. "
        "Reconnect with `Last-Event-ID` to resume."
    ),
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        **NOT_FOUND,
        **stream_responses((CandidateCheckEvent, CheckProgress), CandidateSubmissionView),
    },
)
async def stream_candidate_submission_events(
    entry_id: str,
    state: State,
    invitation: CurrentInvitation,
    last_event_id: Annotated[int, Header(alias="Last-Event-ID", description="Resume after this event id.")] = 0,
) -> StreamingResponse:
    """Server-sent events of one of your submissions."""
    await run_in_threadpool(_view, state, invitation.id, entry_id)
    return StreamingResponse(
        _events(state, invitation.id, entry_id, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/drafts/{slug}",
    response_model=DraftView,
    summary="The code to show in a problem's editor",
    description=(
        "The newest of your saved draft and your last submission's code, else the starter; `origin` says "
        "which. Shown once you have started."
    ),
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def get_draft(slug: Slug, session: DbSession, state: State, invitation: CurrentInvitation) -> DraftView:
    """Restore a problem's editor."""
    return drafts.restore(session, state.bank, invitation, slug)


@router.put(
    "/drafts/{slug}",
    response_model=DraftView,
    summary="Save your draft of a code problem",
    description=(
        "JSON `{source}`: the editor's whole text, replacing the draft before; at most the submission size "
        "limit. Kept only while your time runs. When your time ends, the draft of a problem you never "
        "submitted is submitted for you, as your first attempt."
    ),
    responses={
        **ERRORS,
        **NOT_FOUND,
        **WINDOW,
        **CONFLICT,
        422: {"model": ProblemDetails, "description": "Invalid body, a source over the size limit, or a quiz."},
    },
)
def save_draft(
    slug: Slug, body: DraftSave, session: DbSession, state: State, invitation: CurrentInvitation
) -> DraftView:
    """Save a draft."""
    return drafts.save(session, state.bank, invitation, slug, body, state.clock())
