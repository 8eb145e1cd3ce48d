"""The service's request and response bodies, as they appear in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, Field

from judge.problem import SLUG_PATTERN, Kind, Problem, Visibility
from judge.result import GradeResult, Verdict
from judge.storage.models import CallbackState, ProblemUpload, Submission, SubmissionStatus, UploadStatus
from judge.storage.submissions import result_of
from judge.storage.uploads import report_of

API_PREFIX = "/api/v1"


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 application/problem+json."""

    type: str = Field(default="about:blank", description="A URI naming the kind of error.")
    title: str = Field(description="The HTTP status' short name.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, for people.")
    errors: list[dict] | None = Field(default=None, description="Each invalid field of a 422, where and why.")


class SubmissionCreate(BaseModel):
    """A submission as JSON. (As multipart/form-data: fields `problem`, `callback_url` and a file `file`.)"""

    model_config = {"extra": "forbid"}

    problem: str = Field(pattern=SLUG_PATTERN, description="The problem's slug.", examples=["vae-mnist"])
    source: str = Field(description="The submission file's text (a .py file, or the answers JSON of a quiz).")
    callback_url: AnyHttpUrl | None = Field(
        default=None,
        description="Where to POST the final result, signed with HMAC-SHA256 (team and admin keys only).",
    )


class Links(BaseModel):
    """Where to follow a submission."""

    self: str = Field(description="GET: status and result; add ?wait=S to long-poll.")
    events: str = Field(description="GET: server-sent events, one per check, then the result.")


class SubmissionAccepted(BaseModel):
    """The answer to POST /submissions: the submission is stored and queued."""

    id: str = Field(description="The submission's id.")
    status: SubmissionStatus
    problem: str
    created_at: datetime
    links: Links


class CallbackView(BaseModel):
    """Delivery of the result to the submission's callback_url."""

    url: str
    state: CallbackState | None = Field(description="None until the submission finishes.")
    attempts: int
    error: str | None = None


class SubmissionView(BaseModel):
    """A submission's status and, once completed, its result."""

    id: str
    problem: str
    status: SubmissionStatus = Field(description="queued, running, completed (graded) or failed (given up on).")
    attempts: int = Field(description="Grading attempts so far (a worker dying or a sandbox fault costs one).")
    verdict: Verdict | None = Field(
        default=None, description="The overall verdict; internal_error when the judge gave up."
    )
    score: float | None = None
    max_score: float | None = None
    result: GradeResult | None = Field(default=None, description="Every check's outcome and points, once completed.")
    error: str | None = Field(default=None, description="Why a failed submission was given up on.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    callback: CallbackView | None = None
    links: Links

    @classmethod
    def of(cls, row: Submission) -> SubmissionView:
        """The view of one stored submission."""
        finished = row.status in (SubmissionStatus.COMPLETED.value, SubmissionStatus.FAILED.value)
        return cls(
            id=row.id,
            problem=row.problem,
            status=SubmissionStatus(row.status),
            attempts=row.attempts,
            verdict=Verdict(row.verdict) if row.verdict else None,
            score=row.score,
            max_score=row.max_score,
            result=result_of(row),
            error=row.error if finished else None,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            callback=CallbackView(
                url=row.callback_url,
                state=CallbackState(row.callback_state) if row.callback_state else None,
                attempts=row.callback_attempts,
                error=row.callback_error,
            )
            if row.callback_url
            else None,
            links=links(row.id),
        )


def links(submission_id: str) -> Links:
    """The URLs of one submission."""
    base = f"{API_PREFIX}/submissions/{submission_id}"
    return Links(self=base, events=f"{base}/events")


class SubmissionPage(BaseModel):
    """A page of submissions, newest first."""

    items: list[SubmissionView]
    limit: int
    offset: int


class LimitsView(BaseModel):
    """The resource limits a submission runs under."""

    check_timeout_s: float
    run_timeout_s: float
    memory_mb: int


class PublicCheck(BaseModel):
    """A check whose source the candidate may read and run."""

    id: str
    category: str
    points: float
    title: str


class PublicFile(BaseModel):
    """A public check file."""

    name: str
    source: str


class QuestionView(BaseModel):
    """A quiz question, without its key or explanation."""

    id: str
    kind: Literal["single", "multiple"]
    prompt: str
    options: dict[str, str] = Field(description="Option label (a, b, ...) -> text.")
    points: float


class ProblemSummary(BaseModel):
    """One problem in the bank."""

    slug: str
    title: str
    kind: Kind
    difficulty: str
    tags: list[str]
    max_score: float
    entrypoint: str = Field(description="The file name a submission is graded as.")

    @classmethod
    def of(cls, problem: Problem) -> ProblemSummary:
        """The summary of a loaded problem."""
        spec = problem.spec
        return cls(
            slug=spec.slug,
            title=spec.title,
            kind=spec.kind,
            difficulty=spec.difficulty,
            tags=spec.tags,
            max_score=problem.max_score,
            entrypoint=spec.entrypoint,
        )


class ProblemDetail(ProblemSummary):
    """What a candidate may see of a problem: never hidden checks, the reference or mutants."""

    statement: str = Field(description="The statement, in Markdown.")
    starter: str = Field(description="The starter file's text.")
    limits: LimitsView
    public_checks: list[PublicCheck]
    public_files: list[PublicFile] = Field(description="The public check files, to run locally.")
    hidden_checks: int = Field(description="How many checks are hidden (their points count towards max_score).")
    questions: list[QuestionView] | None = Field(default=None, description="A quiz's questions.")

    @classmethod
    def of(cls, problem: Problem) -> ProblemDetail:
        """The public detail of a loaded problem."""
        public = [c for c in problem.check_specs if c.visibility is Visibility.PUBLIC]
        files = sorted(problem.public_checks_dir.glob("test_*.py")) if problem.public_checks_dir.is_dir() else []
        questions = None
        if problem.quiz is not None:
            questions = [
                QuestionView(
                    id=q.id,
                    kind=q.kind,
                    prompt=q.prompt,
                    options=dict(zip(q.labels, q.options, strict=True)),
                    points=q.points,
                )
                for q in problem.quiz.questions
            ]
        return cls(
            **ProblemSummary.of(problem).model_dump(),
            statement=problem.statement(),
            starter=problem.starter(),
            limits=LimitsView(**problem.spec.limits.model_dump()),
            public_checks=[PublicCheck(id=c.id, category=c.category, points=c.points, title=c.title) for c in public],
            public_files=[PublicFile(name=p.name, source=p.read_text(encoding="utf-8")) for p in files],
            hidden_checks=len(problem.check_specs) - len(public),
            questions=questions,
        )


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
