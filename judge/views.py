"""What the HTTP answers show of problems and submissions, shared by the API, the assessment service
and result callbacks (a callback's body is exactly what GET /submissions/{id} answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from judge.problem import Kind, Problem, Visibility
from judge.result import GradeResult, Verdict
from judge.storage.models import CallbackState, Submission, SubmissionStatus
from judge.storage.submissions import result_of

#: Where the HTTP API is served; the links a view carries point under it.
API_PREFIX = "/api/v1"


class Links(BaseModel):
    """Where to follow a submission."""

    self: str = Field(description="GET: status and result; add ?wait=S to long-poll.")
    events: str = Field(description="GET: server-sent events, one per check, then the result.")


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
        default=None,
        description="The overall verdict; compile_error when the file does not compile (result.compile_error "
        "says where); internal_error when the judge gave up.",
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
            links=submission_links(row.id),
        )


def submission_links(submission_id: str) -> Links:
    """The URLs of one submission."""
    base = f"{API_PREFIX}/submissions/{submission_id}"
    return Links(self=base, events=f"{base}/events")


def candidate_events_url(entry_id: str) -> str:
    """Where a candidate streams the progress of their submission `entry_id`."""
    return f"{API_PREFIX}/candidate/submissions/{entry_id}/events"


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
    files: list[str] = Field(
        default_factory=list,
        description="The files a submission holds, the entrypoint first; with several, submit a zip of them.",
    )

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
            files=problem.file_names,
        )
