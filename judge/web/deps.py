"""Who is using a page: a signed-in team member (session cookie), and the CSRF check of posted forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from judge.app.auth import Caller
from judge.app.cookies import CSRF_COOKIE, SESSION_COOKIE
from judge.app.deps import DbSession, State
from judge.app.errors import Forbidden, Unauthorized
from judge.app.sessions import CSRF_FIELD, csrf_valid, read_session, session_secret
from judge.storage import keys, team_sessions
from judge.storage.models import ApiKey, Role

SIGN_IN_MESSAGE = "sign in with your team's API key to see this page"


@dataclass(frozen=True)
class TeamMember:
    """A signed-in team member: the key they signed in with, and its team."""

    caller: Caller
    team: str


def member_of(row: ApiKey) -> TeamMember:
    """The team member a live team or admin key stands for."""
    team = keys.team_of(row)
    return TeamMember(caller=Caller(key_id=row.id, role=Role(row.role), name=row.name, team=team), team=team or row.id)


def get_member(request: Request, state: State, session: DbSession) -> TeamMember:
    """The signed-in team member, within their key's rate limit (shared with the key's API calls);
    Unauthorized (a redirect to sign in, on pages) without a live session (none, forged, expired, ended
    by logout, or its key revoked)."""
    token = read_session(session_secret(state.settings), request.cookies.get(SESSION_COOKIE))
    row = team_sessions.live_key(session, token, state.clock()) if token else None
    if row is None:
        raise Unauthorized(SIGN_IN_MESSAGE)
    if Role(row.role) not in (Role.ADMIN, Role.TEAM):
        raise Forbidden("team pages need a team or admin key; this key is a candidate key")
    state.limits.take(row.id)
    return member_of(row)


Member = Annotated[TeamMember, Depends(get_member)]


async def check_csrf(request: Request, state: State) -> None:
    """Refuse a posted form whose CSRF token does not match this browser's CSRF cookie."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not csrf_valid(
        session_secret(state.settings), request.cookies.get(CSRF_COOKIE), token if isinstance(token, str) else None
    ):
        raise Forbidden("the form's security token is missing or stale; reload the page and try again")


CsrfChecked = Depends(check_csrf)
