"""Every error the service answers with, mapped to an HTTP status, message and headers in this one place
(judge.app.handlers answers them as application/problem+json, or as pages on page paths)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from judge.assessments.errors import (
    AssessmentNotFound,
    AttemptsExhausted,
    DuplicateInvitation,
    EntryNotFound,
    FlagNotFound,
    InvalidAssessment,
    InvalidInvitationList,
    InvalidInvitationToken,
    InvalidKnownSolution,
    InvitationExpired,
    InvitationNotFound,
    KnownSolutionNotFound,
    KnownSolutionTooLarge,
    NotStarted,
    OutsideWindow,
    PlaybackFull,
    ProblemNotInAssessment,
    ProblemNotUsable,
    RejudgeInProgress,
    TimeUp,
)
from judge.bank.ownership import NotPublic
from judge.bank.packages import PackageTooLarge, ProblemConflict
from judge.errors import (
    CompileError,
    InvalidProblem,
    InvalidSubmission,
    JudgeError,
    Overloaded,
    ProblemNotFound,
    RunNotFound,
    SandboxFault,
    SandboxUnavailable,
)
from judge.queue.dispatch import QueueUnavailable
from judge.syntax import SyntaxProblem

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
#: Retry-After when the database does not answer (a restart takes seconds).
DATABASE_RETRY_AFTER_S = 5
#: The error answers a route documents (FastAPI's `responses=`), by status.
Responses = dict[int | str, dict[str, Any]]


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 application/problem+json."""

    type: str = Field(default="about:blank", description="A URI naming the kind of error.")
    title: str = Field(description="The HTTP status' short name.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, for people.")
    errors: list[dict[str, Any]] | None = Field(default=None, description="Each invalid field of a 422, where and why.")
    syntax_error: SyntaxProblem | None = Field(
        default=None, description="A submission refused because it does not compile: its line, column and message."
    )


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


#: Errors of the grading core, by class (the first match wins: subclasses first).
JUDGE_ERROR_STATUS: list[tuple[type[JudgeError], HTTPStatus]] = [
    (InvalidInvitationToken, HTTPStatus.UNAUTHORIZED),
    (InvitationExpired, HTTPStatus.UNAUTHORIZED),
    (AssessmentNotFound, HTTPStatus.NOT_FOUND),
    (KnownSolutionNotFound, HTTPStatus.NOT_FOUND),
    (KnownSolutionTooLarge, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (InvalidKnownSolution, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvitationNotFound, HTTPStatus.NOT_FOUND),
    (EntryNotFound, HTTPStatus.NOT_FOUND),
    (FlagNotFound, HTTPStatus.NOT_FOUND),
    (ProblemNotInAssessment, HTTPStatus.NOT_FOUND),
    (OutsideWindow, HTTPStatus.FORBIDDEN),
    (TimeUp, HTTPStatus.FORBIDDEN),
    (NotStarted, HTTPStatus.CONFLICT),
    (AttemptsExhausted, HTTPStatus.CONFLICT),
    (ProblemNotUsable, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvalidAssessment, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvalidInvitationList, HTTPStatus.UNPROCESSABLE_ENTITY),
    (DuplicateInvitation, HTTPStatus.CONFLICT),
    (RejudgeInProgress, HTTPStatus.CONFLICT),
    (Overloaded, HTTPStatus.SERVICE_UNAVAILABLE),
    (ProblemNotFound, HTTPStatus.NOT_FOUND),
    (RunNotFound, HTTPStatus.NOT_FOUND),
    (PackageTooLarge, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (PlaybackFull, HTTPStatus.REQUEST_ENTITY_TOO_LARGE),
    (InvalidProblem, HTTPStatus.UNPROCESSABLE_ENTITY),
    (InvalidSubmission, HTTPStatus.UNPROCESSABLE_ENTITY),
    (ProblemConflict, HTTPStatus.CONFLICT),
    (NotPublic, HTTPStatus.UNPROCESSABLE_ENTITY),
    (SandboxUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
    # A sandbox that failed while the API itself graded (an upload's validation): try again later.
    (SandboxFault, HTTPStatus.SERVICE_UNAVAILABLE),
    (QueueUnavailable, HTTPStatus.SERVICE_UNAVAILABLE),
]


def problem_response(
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
    syntax_error: SyntaxProblem | None = None,
) -> JSONResponse:
    """An application/problem+json answer."""
    body = ProblemDetails(
        title=HTTPStatus(status).phrase, status=status, detail=detail, errors=errors, syntax_error=syntax_error
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _validation_message(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    return f"{where}: {error.get('msg', 'invalid')}"


@dataclass(frozen=True)
class HttpError:
    """How one exception is answered: status, message, headers and (a 422's) invalid fields."""

    status: int
    detail: str
    headers: dict[str, str] | None = None
    errors: list[dict[str, Any]] | None = None
    syntax_error: SyntaxProblem | None = None


#: The exception classes answered as themselves; any other exception is a 500.
HANDLED: tuple[type[Exception], ...] = (
    ApiError,
    JudgeError,
    OperationalError,
    InterfaceError,
    DataError,
    RequestValidationError,
    StarletteHTTPException,
)


def http_error_of(exc: Exception) -> HttpError:
    """The answer to `exc`, whichever part of the service raised it."""
    if isinstance(exc, ApiError):
        return HttpError(exc.status, str(exc), exc.headers)
    if isinstance(exc, JudgeError):
        status = next((s for cls, s in JUDGE_ERROR_STATUS if isinstance(exc, cls)), HTTPStatus.INTERNAL_SERVER_ERROR)
        headers = {"Retry-After": "30"} if status == HTTPStatus.SERVICE_UNAVAILABLE else None
        if isinstance(exc, Overloaded):
            headers = {"Retry-After": str(exc.retry_after_s)}
        if status == HTTPStatus.UNAUTHORIZED:
            headers = {"WWW-Authenticate": 'Bearer realm="invitation"'}
        if status == HTTPStatus.INTERNAL_SERVER_ERROR:
            log.error("unmapped judge error: %s", exc)
        return HttpError(status, str(exc), headers, syntax_error=exc.problem if isinstance(exc, CompileError) else None)
    if isinstance(exc, (OperationalError, InterfaceError)):
        # The database is restarting or unreachable: a 503 tells the client to retry (with its
        # Idempotency-Key, a retry of a request that did get stored returns that submission).
        log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
        return HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "the database is unavailable; retry later", headers)
    if isinstance(exc, DataError):
        # A value the database cannot hold or compare, e.g. a NUL byte in an id taken from the path
        # (PostgreSQL text cannot contain one): the request is invalid, not the server broken.
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None and str(exc.orig) else "invalid value"
        return HttpError(
            HTTPStatus.UNPROCESSABLE_ENTITY, f"invalid request: a value cannot be stored or looked up ({reason})"
        )
    if isinstance(exc, RequestValidationError):
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        detail = "invalid request: " + "; ".join(_validation_message(e) for e in exc.errors()[:5])
        return HttpError(HTTPStatus.UNPROCESSABLE_ENTITY, detail, errors=errors)
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
        return HttpError(exc.status_code, detail, dict(exc.headers or {}))
    log.error("unexpected error", exc_info=exc)
    return HttpError(HTTPStatus.INTERNAL_SERVER_ERROR, "the server failed; the error is logged")
