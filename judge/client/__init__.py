"""A Python client of the judge service: `JudgeClient` and the exceptions its calls raise.

with JudgeClient("http://127.0.0.1:8000", api_key=KEY) as judge:
    accepted = judge.submit("vae-mnist", Path("solution.py"))
    for event in judge.events(accepted.id):
        ...
"""

from judge.client.api import JudgeClient, Starter
from judge.client.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    JudgeAPIError,
    JudgeClientError,
    JudgeConnectionError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnprocessableError,
    UnsupportedMediaTypeError,
    WaitTimedOut,
)
from judge.client.events import (
    CandidateCheckEvent,
    CandidateEvent,
    CandidateResultEvent,
    CheckEvent,
    ResultEvent,
    SubmissionEvent,
)

__all__ = [
    "BadRequestError",
    "CandidateCheckEvent",
    "CandidateEvent",
    "CandidateResultEvent",
    "CheckEvent",
    "ConflictError",
    "ForbiddenError",
    "JudgeAPIError",
    "JudgeClient",
    "JudgeClientError",
    "JudgeConnectionError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ResultEvent",
    "ServerError",
    "Starter",
    "SubmissionEvent",
    "UnauthorizedError",
    "UnprocessableError",
    "UnsupportedMediaTypeError",
    "WaitTimedOut",
]
