"""The service's state: everything the routes and pages share, built once by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.registry import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from judge.app.ratelimits import RateLimits
from judge.bank.loader import ProblemBank
from judge.queue.dispatch import Dispatcher, dispatch
from judge.sandbox.base import Sandbox
from judge.settings import Settings
from judge.storage.models import utcnow


@dataclass
class ServiceState:
    """Everything the routes and pages share, built once by create_app."""

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
