"""/healthz, /readyz and /metrics: for orchestrators and Prometheus; no API key needed."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from judge.api.schemas import Health, Readiness, SandboxInfo
from judge.app.deps import State
from judge.app.state import ServiceState
from judge.errors import SandboxUnavailable
from judge.sandbox.select import TRUSTED_CODE_ONLY, trusted_code_only
from judge.storage.db import ping

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness", description="200 while the process serves requests.")
def get_health() -> Health:
    """The process is alive."""
    return Health(status="ok")


def _readiness(state: ServiceState) -> tuple[dict[str, str], SandboxInfo | None]:
    checks: dict[str, str] = {}
    try:
        ping(state.engine)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    checks["queue"] = state.dispatcher.unavailable_reason() or "ok"
    try:
        sandbox = state.sandbox()
    except SandboxUnavailable as exc:
        checks["sandbox"] = f"unavailable: {exc}"
        return checks, None
    checks["sandbox"] = "ok"
    trusted_only = trusted_code_only(sandbox)
    return checks, SandboxInfo(
        name=sandbox.name, trusted_code_only=trusted_only, warning=TRUSTED_CODE_ONLY if trusted_only else None
    )


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    description=(
        "200 when the database answers, the queue takes work and the sandbox is there; 503 (with each dependency's state)"
        " otherwise. `sandbox` names the backend candidates run in; `trusted_code_only` is true for the process backend,"
        " which contains nothing and is used only when asked for by name."
    ),
    responses={503: {"model": Readiness, "description": "A dependency is down."}},
)
async def get_readiness(state: State) -> Response:
    """Whether the service can take submissions now, and which sandbox it grades in."""
    checks, sandbox = await run_in_threadpool(_readiness, state)
    ok = all(v == "ok" for v in checks.values())
    body = Readiness(status="ok" if ok else "unavailable", checks=checks, sandbox=sandbox)
    return JSONResponse(
        body.model_dump(), status_code=200 if ok else 503, headers=None if ok else {"Retry-After": "10"}
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="Submissions by verdict and status, queue depth and grading seconds, in the Prometheus text format.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "The metrics."}},
)
async def get_metrics(state: State) -> Response:
    """The metrics, read from the database now."""
    text = await run_in_threadpool(generate_latest, state.registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
