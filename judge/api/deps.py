"""FastAPI dependencies: the service's state, a database session per request, and the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from judge.api.auth import Caller
from judge.api.client import client_address
from judge.api.errors import Forbidden, Unauthorized
from judge.api.ratelimits import RateLimits
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.queue.dispatch import Dispatcher, dispatch
from judge.sandbox.base import Sandbox
from judge.settings import Settings
from judge.storage import keys
from judge.storage.models import Role, utcnow


@dataclass
class ServiceState:
    """Everything the routes share, built once by create_app."""

    settings: Settings
    bank: ProblemBank
    engine: Engine
    sessions: sessionmaker[Session]
    dispatcher: Dispatcher
    sandbox_factory: Callable[[Settings], Sandbox]
    limits: RateLimits
    registry: CollectorRegistry
    #: What time it is; tests of assessment clocks replace it instead of sleeping.
    clock: Callable[[], datetime] = utcnow
    _sandbox: Sandbox | None = field(default=None, repr=False)

    def enqueue(self, submission_id: str) -> None:
        """Queue grading one committed submission; a broker that is down leaves it for the redispatcher."""
        dispatch(self.dispatcher, self.sessions, submission_id)

    def sandbox(self) -> Sandbox:
        """A sandbox made like the graders', on first use, for the readiness check to inspect."""
        if self._sandbox is None:
            self._sandbox = self.sandbox_factory(self.settings)
        return self._sandbox


def get_state(request: Request) -> ServiceState:
    """The service state of the app handling the request."""
    return request.app.state.judge


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
