"""FastAPI dependencies of the API and the pages: the service's state, a database session per request,
the caller of an API key, and the invitation a candidate's token opens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from judge.app.auth import Caller
from judge.app.client import client_address
from judge.app.errors import Forbidden, Unauthorized
from judge.app.state import ServiceState
from judge.assessments import service
from judge.assessments.errors import InvalidInvitationToken, InvitationExpired
from judge.bank.ownership import Viewer
from judge.storage import keys
from judge.storage.models import Invitation, Role


def get_state(request: Request) -> ServiceState:
    """The service state of the app handling the request."""
    return cast(ServiceState, request.app.state.judge)


State = Annotated[ServiceState, Depends(get_state)]


def get_session(state: State) -> Iterator[Session]:
    """A database session for one request, closed after it."""
    with state.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key, as an alternative to Bearer.")


def get_caller(
    request: Request,
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> Caller:
    """The authenticated caller, within its rate limit; 401 without a valid key, 429 over the key's limit or
    after too many failed authentications from the client's address."""
    presented = bearer.credentials if bearer is not None else header
    if not presented:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    address = client_address(request, state.settings)
    state.limits.admit(address)
    # A session of its own, returned at once: a request-long one held here while the route opens
    # another would deadlock the connection pool once more requests run at once than it has connections.
    with state.sessions() as session:
        row = keys.authenticate(session, presented)
        team = keys.team_of(row) if row is not None else None
    if row is None:
        state.limits.failed(address)
        raise Unauthorized("the API key is not valid (unknown, malformed or revoked)")
    state.limits.take(row.id)
    return Caller(key_id=row.id, role=Role(row.role), name=row.name, team=team)


CurrentCaller = Annotated[Caller, Depends(get_caller)]


def require(*roles: Role) -> Callable[[Caller], Caller]:
    """A dependency admitting only callers with one of `roles` (403 otherwise)."""

    def check(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise Forbidden(f"only {allowed} keys may do this; this key's role is {caller.role.value}")
        return caller

    return check


TeamCaller = Annotated[Caller, Depends(require(Role.ADMIN, Role.TEAM))]


def viewer_of(caller: Caller) -> Viewer:
    """Whose problems and assessments the caller sees: its team's; an admin's, every team's."""
    return Viewer(team=caller.team, admin=caller.role is Role.ADMIN)


def open_invitation(request: Request, state: ServiceState, session: Session, token: str, now: datetime) -> Invitation:
    """The invitation `token` opens, within its rate limit (429 over it); a token that opens none counts as a
    failed authentication of the client's address, and once those are too many, 429 before looking."""
    address = client_address(request, state.settings)
    state.limits.admit(address)
    try:
        invitation = service.authenticate(session, token, now)
    except (InvalidInvitationToken, InvitationExpired):
        state.limits.failed(address)
        raise
    state.limits.take(f"invitation:{invitation.id}")
    return invitation
