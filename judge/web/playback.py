"""The team's code player: one candidate's edit log of one problem replayed on a timeline
(judge/assessments/playback.py records and replays it; static/player.js plays it in the page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from judge.app.deps import DbSession, State, viewer_of
from judge.assessments import playback
from judge.problem import SLUG_PATTERN
from judge.web.deps import Member
from judge.web.render import page

router = APIRouter(prefix="/team", include_in_schema=False)
Id = Annotated[str, Path(pattern=r"^[0-9a-zA-Z_-]{1,64}$")]


@router.get("/assessments/{assessment_id}/candidates/{invitation_id}/playback/{problem}", response_class=HTMLResponse)
def player(
    assessment_id: Id,
    invitation_id: Id,
    problem: Annotated[str, Path(pattern=SLUG_PATTERN)],
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """The player: a timeline of the candidate's edits, pastes, times away and submissions, and the code
    as it was at the chosen moment; without script, the code at the last submission (else the end)."""
    view = playback.team_playback(session, state.bank, viewer_of(member.caller), assessment_id, invitation_id, problem)
    position = view.submissions[-1].position if view.submissions else len(view.events)
    context = {
        "member": member,
        "view": view,
        "position": position,
        "files": playback.files_at(view.events, position),
        "data": view.model_dump(mode="json", include={"events", "submissions", "files"}),
    }
    return page(request, state.settings, "team/playback.html", context)
