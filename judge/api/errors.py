"""Every error the service answers with, mapped to HTTP in this one place, as application/problem+json."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from judge.api.schemas import ProblemDetails
from judge.errors import InvalidProblem, InvalidSubmission, JudgeError, ProblemNotFound, SandboxUnavailable
from judge.queue.dispatch import QueueUnavailable
from judge.storage.packages import PackageTooLarge, ProblemConflict

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """An error answered with `status`, the message as detail, and optional headers."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = headers or {}


class Unauthorized(ApiError):
    """No API key, or not a valid one."""

    status = HTTPStatus.UNAUTHORIZED

    def __init__(self, message: str) -> None:
        super().__init__(message, {"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    """The key's role may not do this."""

    status = HTTPStatus.FORBIDDEN


class NotFound(ApiError):
    """No such resource (or not one this key may see)."""

    status = HTTPStatus.NOT_FOUND


class Conflict(ApiError):
    """The request contradicts the current state."""

    status = HTTPStatus.CONFLICT


class PayloadTooLarge(ApiError):
    """The body or the submission is over its limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class Unprocessable(ApiError):
    """The body is well-formed but invalid."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class UnsupportedMediaType(ApiError):
    """A body in a content type the route does not take."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class RateLimited(ApiError):
    """The key sent too many requests."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, {"Retry-After": str(retry_after_s)})


class ServiceUnavailable(ApiError):
    """The queue is full or a dependency is down; try again after Retry-After."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message, {"Retry-After": str(retry_after_s)})


#: Errors of the grading core, by class (the first match wins: subclasses first).
JUDGE_ERROR_STATUS: list[tuple[type[JudgeError], HTTPStatus]] = [
    (ProblemNotFound, HTTPStatus.NOT_FOUND),
    (PackageTooLarge, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (InvalidProblem, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvalidSubmission, HTTPStatus.UNPROCESSABLE_ENTITY),
    (ProblemConflict, HTTPStatus.CONFLICT),
    (SandboxUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
    (QueueUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
]


def problem_response(status: int, detail: str, headers: dict[str, str] | None = None, errors: list[dict] | None = None) -> JSONResponse:
    """An application/problem+json answer."""
    body = ProblemDetails(title=HTTPStatus(status).phrase, status=status, detail=detail, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _validation_message(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    return f"{where}: {error.get('msg', 'invalid')}"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a problem+json answer."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.status, str(exc), exc.headers)

    @app.exception_handler(JudgeError)
    async def _judge_error(_request: Request, exc: JudgeError) -> JSONResponse:
        status = next((s for cls, s in JUDGE_ERROR_STATUS if isinstance(exc, cls)), HTTPStatus.INTERNAL_SERVER_ERROR)
        headers = {"Retry-After": "30"} if status == HTTPStatus.SERVICE_UNAVAILABLE else None
        if status == HTTPStatus.INTERNAL_SERVER_ERROR:
            log.error("unmapped judge error: %s", exc)
        return problem_response(status, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        detail = "invalid request: " + "; ".join(_validation_message(e) for e in exc.errors()[:5])
        return problem_response(HTTPStatus.UNPROCESSABLE_ENTITY, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
        return problem_response(exc.status_code, detail, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return problem_response(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed; the error is logged")
