"""The FastAPI application: state built once from Settings, the API routes under /api/v1 and the web
pages, errors as problem+json (or pages, on page paths)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from judge.api import docs, openapi
from judge.api.metrics import registry
from judge.api.routes import (
    assessments,
    candidate,
    flags,
    health,
    known_solutions,
    playback,
    problems,
    runs,
    submissions,
)
from judge.app import handlers
from judge.app.middleware import BodyLimit, StrictTransportSecurity
from judge.app.ratelimits import RateLimits
from judge.app.state import ServiceState
from judge.assessments.drafts import DraftSweeper
from judge.bank.loader import ProblemBank
from judge.bank.packages import with_uploads
from judge.queue.dispatch import HeartbeatSweeper, Redispatcher, make_dispatcher, recover
from judge.sandbox.base import Sandbox
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings
from judge.storage.db import make_engine, migrate, session_factory
from judge.views import API_PREFIX
from judge.web import mount as web

log = logging.getLogger(__name__)
#: How often the API re-queues submissions the broker refused.
REDISPATCH_INTERVAL_S = 10.0
#: Multipart and JSON encoding overhead allowed above the largest payload.
BODY_OVERHEAD_BYTES = 1 << 20

DESCRIPTION = """\
Grades PyTorch generative-AI problems. Submit a solution, then poll it (`?wait=` long-polls) or stream
its checks as server-sent events. Authenticate every call under /api/v1 with an API key:
`Authorization: Bearer <key>` (or `X-API-Key`). Errors are application/problem+json.
"""


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
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        state.dispatcher.start()
        recovered = recover(state.dispatcher, sessions)
        if recovered:
            log.info("re-queued %d unfinished submissions and callbacks", recovered)
        redispatcher = Redispatcher(state.dispatcher, sessions, REDISPATCH_INTERVAL_S)
        redispatcher.start()
        sweeper = HeartbeatSweeper(
            state.dispatcher, sessions, settings.queue.sweep_interval_s, settings.queue.heartbeat_timeout_s
        )
        sweeper.start()
        # The state's clock is read on each sweep: tests replace it after start-up.
        drafts = DraftSweeper(
            sessions, bank, lambda: state.clock(), state.enqueue, settings.assessments.draft_sweep_interval_s
        )
        drafts.start()
        try:
            yield
        finally:
            drafts.stopped.set()
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
        # Served by judge.api.docs from files the package ships, not from a CDN.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.judge = state
    handlers.install(app)
    openapi.install(app)
    docs.install(app)
    app.include_router(submissions.router, prefix=API_PREFIX)
    app.include_router(problems.router, prefix=API_PREFIX)
    app.include_router(assessments.router, prefix=API_PREFIX)
    app.include_router(flags.router, prefix=API_PREFIX)
    app.include_router(candidate.router, prefix=API_PREFIX)
    app.include_router(runs.router, prefix=API_PREFIX)
    app.include_router(runs.candidate_router, prefix=API_PREFIX)
    app.include_router(known_solutions.router, prefix=API_PREFIX)
    app.include_router(playback.router, prefix=API_PREFIX)
    app.include_router(playback.candidate_router, prefix=API_PREFIX)
    app.include_router(health.router)
    web.install(app)
    limit = max(settings.uploads.max_package_bytes, 8 * settings.limits.max_source_bytes) + BODY_OVERHEAD_BYTES
    app.add_middleware(BodyLimit, limit=limit)
    app.add_middleware(StrictTransportSecurity, settings=settings)  # outermost: a 413 gets it too
    return app
