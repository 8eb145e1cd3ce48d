"""The FastAPI application: state built once from Settings, routes under /api/v1, errors as problem+json."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from judge.api import errors, openapi
from judge.api.client import over_https
from judge.api.deps import ServiceState
from judge.api.errors import PayloadTooLarge, problem_response
from judge.api.metrics import registry
from judge.api.ratelimits import RateLimits
from judge.api.routes import assessments, candidate, health, problems, submissions
from judge.api.schemas import API_PREFIX
from judge.bank.loader import ProblemBank
from judge.bank.packages import with_uploads
from judge.queue.dispatch import HeartbeatSweeper, Redispatcher, make_dispatcher, recover
from judge.sandbox.base import Sandbox
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings
from judge.storage.db import make_engine, migrate, session_factory
from judge.web import mount as web

log = logging.getLogger(__name__)
#: How often the API re-queues submissions the broker refused.
REDISPATCH_INTERVAL_S = 10.0
#: Multipart and JSON encoding overhead allowed above the largest payload.
BODY_OVERHEAD_BYTES = 1 << 20
#: Browsers that reached us over HTTPS keep to it for a year (sent on HTTPS answers only, as RFC 6797 asks).
HSTS_HEADER = "max-age=31536000"

DESCRIPTION = """\
Grades PyTorch generative-AI problems. Submit a solution, then poll it (`?wait=` long-polls) or stream
its checks as server-sent events. Authenticate every call under /api/v1 with an API key:
`Authorization: Bearer <key>` (or `X-API-Key`). Errors are application/problem+json.
"""


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, by Content-Length or as they stream in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = problem_response(413, f"the request body is {int(declared)} bytes; the limit is {self.limit}")
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise PayloadTooLarge(f"the request body is over the {self.limit}-byte limit")
            return message

        await self.app(scope, counted, send)


class StrictTransportSecurity:
    """Adds Strict-Transport-Security to every answer to a request that came over HTTPS (directly or
    through a trusted proxy); a plain-HTTP answer never carries it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the header to the answer's start when it came over HTTPS."""
        if scope["type"] != "http" or not over_https(HTTPConnection(scope), self.settings):
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = HSTS_HEADER
            await send(message)

        await self.app(scope, receive, send_with_hsts)


def create_app(settings: Settings, sandbox_factory: Callable[[Settings], Sandbox] = choose_sandbox) -> FastAPI:
    """The service on `settings` (the bank plus uploaded problems); grades with `sandbox_factory`'s sandbox."""
    settings = with_uploads(settings)
    engine = make_engine(settings)
    sessions = session_factory(engine)
    bank = ProblemBank(settings)
    state = ServiceState(
        settings=settings,
        bank=bank,
        engine=engine,
        sessions=sessions,
        dispatcher=make_dispatcher(settings, sessions, sandbox_factory, bank),
        sandbox_factory=sandbox_factory,
        limits=RateLimits(settings),
        registry=registry(sessions),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        migrate(engine)
        state.dispatcher.start()
        recovered = recover(state.dispatcher, sessions)
        if recovered:
            log.info("re-queued %d unfinished submissions and callbacks", recovered)
        redispatcher = Redispatcher(state.dispatcher, sessions, REDISPATCH_INTERVAL_S)
        redispatcher.start()
        sweeper = HeartbeatSweeper(state.dispatcher, sessions, settings.sweep_interval_s, settings.heartbeat_timeout_s)
        sweeper.start()
        try:
            yield
        finally:
            sweeper.stopped.set()
            redispatcher.stopped.set()
            state.dispatcher.stop()
            engine.dispose()

    app = FastAPI(
        title="judge",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.judge = state
    errors.install(app)
    openapi.install(app)
    app.include_router(submissions.router, prefix=API_PREFIX)
    app.include_router(problems.router, prefix=API_PREFIX)
    app.include_router(assessments.router, prefix=API_PREFIX)
    app.include_router(candidate.router, prefix=API_PREFIX)
    app.include_router(health.router)
    web.install(app)
    limit = max(settings.max_package_bytes, 8 * settings.max_source_bytes) + BODY_OVERHEAD_BYTES
    app.add_middleware(BodyLimit, limit=limit)
    app.add_middleware(StrictTransportSecurity, settings=settings)  # outermost: a 413 gets it too
    return app
