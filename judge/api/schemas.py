"""The service's request and response bodies, as they appear in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, Field

from judge.problem import SLUG_PATTERN
from judge.storage.models import ProblemUpload, SubmissionStatus, UploadStatus
from judge.storage.uploads import report_of
from judge.views import API_PREFIX, Links, SubmissionView


class SubmissionCreate(BaseModel):
    """A submission as JSON. (As multipart/form-data: fields `problem`, `callback_url` and a file `file`.)"""

    model_config = {"extra": "forbid"}

    problem: str = Field(pattern=SLUG_PATTERN, description="The problem's slug.", examples=["vae-mnist"])
    source: str = Field(description="The submission file's text (a .py file, or the answers JSON of a quiz).")
    callback_url: AnyHttpUrl | None = Field(
        default=None,
        description="Where to POST the final result, signed with HMAC-SHA256 (team and admin keys only).",
    )


class SubmissionAccepted(BaseModel):
    """The answer to POST /submissions: the submission is stored and queued."""

    id: str = Field(description="The submission's id.")
    status: SubmissionStatus
    problem: str
    created_at: datetime
    links: Links


class SubmissionPage(BaseModel):
    """A page of submissions, newest first."""

    items: list[SubmissionView]
    limit: int
    offset: int


class UploadLinks(BaseModel):
    """Where to follow a problem upload."""

    self: str = Field(description="GET: the upload's status, validation report and, if refused, why.")
    problem: str | None = Field(default=None, description="GET: the problem, once accepted.")


class UploadQueued(BaseModel):
    """The answer to POST /problems: the package passed the checks that need no grading and waits for validation."""

    id: str = Field(description="The upload's id.")
    status: UploadStatus
    slug: str = Field(description="The slug the package declares.")
    created_at: datetime
    links: UploadLinks


class UploadView(BaseModel):
    """A problem upload: waiting, being validated, or decided."""

    id: str
    status: UploadStatus = Field(
        description="queued, running (being validated), accepted (in the bank), rejected (the package failed; see error) "
        "or failed (the judge could not validate it; upload it again later)."
    )
    slug: str | None = None
    replaced: bool | None = Field(
        default=None, description="Once accepted: whether it replaced an earlier upload of the slug."
    )
    validation: list[str] = Field(
        default_factory=list, description="Once accepted: the validation report, line by line."
    )
    error: str | None = Field(default=None, description="Why it was rejected, or why the judge could not validate it.")
    attempts: int = Field(description="Validation attempts so far (a worker dying or a sandbox fault costs one).")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    links: UploadLinks

    @classmethod
    def of(cls, row: ProblemUpload) -> UploadView:
        """The view of one stored upload."""
        return cls(
            id=row.id,
            status=UploadStatus(row.status),
            slug=row.slug,
            replaced=row.replaced,
            validation=report_of(row),
            error=row.error,
            attempts=row.attempts,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            links=upload_links(row),
        )


def upload_links(row: ProblemUpload) -> UploadLinks:
    """The URLs of one upload (the problem's once accepted)."""
    accepted = row.status == UploadStatus.ACCEPTED.value and row.slug
    return UploadLinks(
        self=f"{API_PREFIX}/problems/uploads/{row.id}",
        problem=f"{API_PREFIX}/problems/{row.slug}" if accepted else None,
    )


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict, description="Each dependency: ok, or why not.")


class SandboxInfo(BaseModel):
    """The sandbox backend this service grades in."""

    name: str = Field(description="docker, bwrap or process.")
    trusted_code_only: bool = Field(description="True for the process backend: it does not contain the code it runs.")
    warning: str | None = Field(default=None, description="Why the backend suits trusted code only, when it does.")


class Readiness(Health):
    """Readiness, with the sandbox the service grades in."""

    sandbox: SandboxInfo | None = Field(
        default=None, description="None when no sandbox could be made (see checks.sandbox)."
    )
