"""/healthz, /readyz and /metrics: for orchestrators and Prometheus; no API key needed."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from judge.api.deps import ServiceState, State
from judge.api.schemas import Health
from judge.storage.db import ping

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness", description="200 while the process serves requests.")
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


def _readiness(state: ServiceState) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        ping(state.engine)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    checks["queue"] = state.dispatcher.problem() or "ok"
    return checks


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness",
    description="200 when the database answers and the queue takes work; 503 (with each dependency's state) otherwise.",
    responses={503: {"model": Health, "description": "A dependency is down."}},
)
async def readyz(state: State) -> Response:
    """Whether the service can take submissions now."""
    checks = await run_in_threadpool(_readiness, state)
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503, headers=None if ok else {"Retry-After": "10"})


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Submissions by verdict and status, queue depth and grading seconds, in the Prometheus text format.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "The metrics."}},
)
async def metrics(state: State) -> Response:
    """The metrics, read from the database now."""
    text = await run_in_threadpool(generate_latest, state.registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
