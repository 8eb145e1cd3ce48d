"""/candidate/playback and the team's read of it: the editor events a candidate's problem page records
(judge/assessments/playback.py), and one candidate's log of one problem with its submission marks,
events summary and flags.

A candidate's batch is stored under their own invitation only, while their time runs; no route lets a
candidate read a log. Another team's assessment is a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from judge.api.routes.candidate import CurrentInvitation
from judge.app.deps import DbSession, State, TeamCaller, viewer_of
from judge.app.errors import ProblemDetails, Responses
from judge.assessments import playback
from judge.assessments.playback import BatchReceipt, PlaybackBatch, PlaybackView
from judge.problem import SLUG_PATTERN

router = APIRouter(tags=["assessments"])
candidate_router = APIRouter(prefix="/candidate/playback", tags=["candidate"])

Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The problem's slug.")]
Id = Annotated[str, Path(max_length=32, description="An id.")]


@candidate_router.post(
    "/{slug}",
    response_model=BatchReceipt,
    summary="Record a batch of your editor's events",
    description=(
        "JSON `{page, seq, sent_at, events}`, sent by the problem page: edits, snapshots, pastes and times "
        "away from the page, shown to the hiring team as a playback. A batch sent again (same page and seq) "
        "is kept once. Accepted only while your time runs; past settings.playback.max_bytes per candidate, 413."
    ),
    responses={
        401: {"model": ProblemDetails, "description": "No invitation token, or an unknown, withdrawn or expired one."},
        403: {
            "model": ProblemDetails,
            "description": "Outside the window or after your time; or a missing CSRF token.",
        },
        404: {"model": ProblemDetails, "description": "Not a problem of this assessment."},
        409: {"model": ProblemDetails, "description": "Not started yet."},
        413: {"model": ProblemDetails, "description": "Your edit log is full (its bound is named)."},
        422: {"model": ProblemDetails, "description": "Invalid batch, or a quiz."},
        429: {"model": ProblemDetails, "description": "Too many requests; see Retry-After."},
    },
)
def record_candidate_playback(
    slug: Slug, body: PlaybackBatch, session: DbSession, state: State, invitation: CurrentInvitation
) -> BatchReceipt:
    """Store one batch of events of your page."""
    return playback.record(session, state.bank, invitation, slug, body, state.clock())


ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    403: {"model": ProblemDetails, "description": "A candidate key."},
    404: {"model": ProblemDetails, "description": "No such assessment, candidate or problem, or another team's."},
    422: {"model": ProblemDetails, "description": "A quiz: it has no editor."},
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}


@router.get(
    "/assessments/{assessment_id}/candidates/{invitation_id}/playback/{problem}",
    response_model=PlaybackView,
    summary="One candidate's code playback of one problem",
    description=(
        "Every recorded event (edits, snapshots, pastes, times away; times on the server's clock), each "
        "attempt's mark (the log position whose text it corresponds to), the events summary and the "
        "playback flags (never scored)."
    ),
    responses=ERRORS,
)
def get_candidate_playback(
    assessment_id: Id, invitation_id: Id, problem: Slug, session: DbSession, state: State, caller: TeamCaller
) -> PlaybackView:
    """One candidate's log of one problem."""
    return playback.team_playback(session, state.bank, viewer_of(caller), assessment_id, invitation_id, problem)
