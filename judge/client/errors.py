"""What a call to a judge service can fail with: one exception per HTTP status class, each carrying the
service's application/problem+json answer, plus the failures that have no answer at all."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx
from pydantic import ValidationError

from judge.app.errors import ProblemDetails


class JudgeClientError(Exception):
    """Any failure of a JudgeClient call."""


class JudgeConnectionError(JudgeClientError):
    """The service could not be reached, or the connection broke before an answer."""


class WaitTimedOut(JudgeClientError):
    """A submission did not finish within the time the caller allowed."""


class JudgeAPIError(JudgeClientError):
    """The service answered with an error status; `problem` is its problem+json body, `extensions` the
    body's fields beyond RFC 9457's (e.g. `syntax_error`, `errors`), `headers` the answer's headers."""

    def __init__(self, problem: ProblemDetails, extensions: dict[str, Any], headers: httpx.Headers) -> None:
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")
        self.problem = problem
        self.extensions = extensions
        self.headers = headers

    @property
    def status(self) -> int:
        """The HTTP status."""
        return self.problem.status

    @property
    def title(self) -> str:
        """The status' short name."""
        return self.problem.title

    @property
    def detail(self) -> str:
        """What went wrong, for people."""
        return self.problem.detail

    @property
    def type(self) -> str:
        """A URI naming the kind of error."""
        return self.problem.type


class BadRequestError(JudgeAPIError):
    """400: a request the service cannot read."""


class UnauthorizedError(JudgeAPIError):
    """401: no key or invitation token, or one the service does not take (unknown, revoked, expired)."""


class ForbiddenError(JudgeAPIError):
    """403: the key's role may not do this, or the assessment's window or the candidate's time is over."""


class NotFoundError(JudgeAPIError):
    """404: no such problem, submission or assessment, or not one this key may see."""


class ConflictError(JudgeAPIError):
    """409: the request contradicts the current state (an Idempotency-Key reused, no attempts left, ...)."""


class PayloadTooLargeError(JudgeAPIError):
    """413: the submission or package is over the service's size limit."""


class UnsupportedMediaTypeError(JudgeAPIError):
    """415: a body in a content type the route does not take."""


class UnprocessableError(JudgeAPIError):
    """422: a well-formed but invalid request; a submission that does not compile carries `syntax_error`."""


class RateLimitedError(JudgeAPIError):
    """429: over the key's rate limit; `retry_after_s` says when to try again."""

    @property
    def retry_after_s(self) -> float | None:
        """The Retry-After header in seconds, when the service sent one as a number."""
        return retry_after_s(self.headers)


class ServerError(JudgeAPIError):
    """5xx: the service failed, or (503) is overloaded or has a dependency down; retry later."""


ERROR_CLASSES: dict[int, type[JudgeAPIError]] = {
    HTTPStatus.BAD_REQUEST: BadRequestError,
    HTTPStatus.UNAUTHORIZED: UnauthorizedError,
    HTTPStatus.FORBIDDEN: ForbiddenError,
    HTTPStatus.NOT_FOUND: NotFoundError,
    HTTPStatus.CONFLICT: ConflictError,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: PayloadTooLargeError,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
    HTTPStatus.UNPROCESSABLE_ENTITY: UnprocessableError,
    HTTPStatus.TOO_MANY_REQUESTS: RateLimitedError,
}


def retry_after_s(headers: httpx.Headers) -> float | None:
    """Retry-After in seconds, or None when absent or given as a date."""
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def error_of(response: httpx.Response) -> JudgeAPIError:
    """The exception for an error answer: problem+json parsed; any other body (a proxy's HTML page, say)
    becomes a problem whose detail is the body's first line."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    problem: ProblemDetails | None = None
    extensions: dict[str, Any] = {}
    if isinstance(body, dict):
        try:
            problem = ProblemDetails.model_validate(body)
        except ValidationError:
            problem = None
        else:
            extensions = {k: v for k, v in body.items() if k not in ("type", "title", "status", "detail")}
    if problem is None:
        text = response.text.strip()
        phrase = response.reason_phrase or "Error"
        problem = ProblemDetails(title=phrase, status=status, detail=text.splitlines()[0][:300] if text else phrase)
    cls = ERROR_CLASSES.get(status, ServerError if status >= 500 else JudgeAPIError)
    return cls(problem, extensions, response.headers)
