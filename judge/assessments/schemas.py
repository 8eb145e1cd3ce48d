"""Every body assessments take and give, for the API and the web pages alike."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, Field, computed_field, model_validator

from judge.assessments.events_summary import EventsSummary
from judge.assessments.flags import ReviewableFlag
from judge.integrity import IntegrityFlag
from judge.problem import SLUG_PATTERN, Kind
from judge.quiz import AnsweredQuestion
from judge.result import CheckResult, Outcome, Series, Verdict
from judge.similarity import LineRange
from judge.storage.models import FeedbackLevel, ScoringPolicy, SubmissionStatus
from judge.syntax import SyntaxProblem
from judge.views import LimitsView, PublicCheck, QuestionView, candidate_events_url

MAX_PROBLEMS = 50
MAX_DURATION_S = 7 * 24 * 3600


# ---------------------------------------------------------------- the team's side


class ProblemChoice(BaseModel):
    """One problem of a new assessment."""

    model_config = {"extra": "forbid"}

    problem: str = Field(pattern=SLUG_PATTERN, description="The problem's slug (code or quiz).")
    points: float | None = Field(
        default=None, gt=0, le=10_000, description="What it is worth here; default: the problem's own max score."
    )


class AssessmentCreate(BaseModel):
    """A new assessment."""

    model_config = {"extra": "forbid"}

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(
        default="", max_length=20_000, description="Shown to candidates on the overview (Markdown)."
    )
    problems: list[ProblemChoice] = Field(min_length=1, max_length=MAX_PROBLEMS)
    opens_at: AwareDatetime = Field(description="When candidates may start.")
    closes_at: AwareDatetime = Field(description="After this nobody may start or submit.")
    duration_s: int = Field(gt=0, le=MAX_DURATION_S, description="Each candidate's time, counted from pressing Start.")
    max_attempts: int = Field(default=3, ge=1, le=100, description="Submissions allowed per problem and candidate.")
    feedback: FeedbackLevel = Field(
        default=FeedbackLevel.FULL, description="What candidates see of checks while it runs."
    )
    scoring: ScoringPolicy = Field(default=ScoringPolicy.BEST, description="Which attempt at a problem counts.")
    compile_error_uses_attempt: bool = Field(
        default=False,
        description="Whether a file that does not compile uses an attempt (graded compile_error). "
        "False: it is refused at submit time with a 422 naming the line, and no attempt is used.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> AssessmentCreate:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        slugs = [p.problem for p in self.problems]
        if len(slugs) != len(set(slugs)):
            raise ValueError("a problem appears twice")
        return self


class AssessmentProblemView(BaseModel):
    """One problem of an assessment."""

    problem: str
    title: str
    kind: Kind
    points: float = Field(description="What it is worth in this assessment.")
    max_score: float = Field(description="The problem's own max score (scaled to points).")


class AssessmentView(BaseModel):
    """An assessment as its team sees it."""

    id: str
    team: str
    title: str
    description: str
    opens_at: datetime
    closes_at: datetime
    duration_s: int
    max_attempts: int
    feedback: FeedbackLevel
    scoring: ScoringPolicy
    compile_error_uses_attempt: bool = Field(description="Whether a file that does not compile uses an attempt.")
    problems: list[AssessmentProblemView]
    total_points: float
    invitations: int = Field(description="Invitations issued (revoked ones included).")
    created_at: datetime


class InvitationCreate(BaseModel):
    """Invite one candidate."""

    model_config = {"extra": "forbid"}

    candidate_name: str = Field(min_length=1, max_length=200)
    candidate_email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    expires_at: AwareDatetime | None = Field(
        default=None,
        description="When the token stops working; default: the close plus settings.assessments.invitation_grace_s.",
    )


class CandidateState(StrEnum):
    """Where a candidate is."""

    INVITED = "invited"  # has not pressed Start
    IN_PROGRESS = "in_progress"  # the clock runs
    FINISHED = "finished"  # time up, ended early, or the assessment closed


class InvitationView(BaseModel):
    """An invitation, without its token."""

    id: str
    assessment_id: str
    candidate_name: str
    candidate_email: str | None
    state: CandidateState
    expires_at: datetime
    created_at: datetime
    started_at: datetime | None
    deadline_at: datetime | None
    finished_at: datetime | None
    revoked_at: datetime | None


class InvitationIssued(InvitationView):
    """A new invitation: the only time its token is shown."""

    token: str = Field(description="The candidate's secret; send it as the link.")
    link: str = Field(description="The invite page's path on this server (prefix it with the server's address).")


class RejudgeCreate(BaseModel):
    """Grade every submission of the assessment again, or only those of one problem."""

    model_config = {"extra": "forbid"}

    problem: str | None = Field(default=None, pattern=SLUG_PATTERN)
    current_package: bool = Field(
        default=False,
        description=(
            "Grade with the problems' current packages (say, after the team fixed a check) instead of the versions the"
            " assessment was created with; the assessment keeps the current ones from then on."
        ),
    )


class RejudgeView(BaseModel):
    """One rejudge round."""

    round: int = Field(description="1 for the first rejudge, and so on; gradings of round 0 are the originals.")
    problem: str | None
    created_at: datetime
    gradings: int = Field(description="Submissions this round grades again.")
    finished: int = Field(description="Of those, graded (completed or failed) so far.")


# ---------------------------------------------------------------- the candidate's side


class CandidateProblemSummary(BaseModel):
    """One problem on the candidate's overview."""

    problem: str
    title: str
    kind: Kind
    points: float
    attempts_used: int
    attempts_left: int
    score: float | None = Field(
        description="The points that count so far under the scoring policy; None before a graded attempt."
    )


class CandidateOverview(BaseModel):
    """What a candidate sees on the overview: the assessment, the clock and the problems."""

    assessment_id: str
    title: str
    description: str
    candidate_name: str
    state: CandidateState
    opens_at: datetime
    closes_at: datetime
    duration_s: int
    started_at: datetime | None
    deadline_at: datetime | None
    remaining_s: float | None = Field(description="Seconds left on the candidate's clock; None before Start.")
    now: datetime = Field(description="The server's clock, to count down from.")
    feedback: FeedbackLevel
    scoring: ScoringPolicy
    max_attempts: int
    total_points: float
    problems: list[CandidateProblemSummary]
    total_score: float | None = Field(
        default=None, description="The points that count so far, over every problem; None before a graded attempt."
    )


class CandidateProblem(CandidateProblemSummary):
    """A problem page: statement, starter and public checks (after Start)."""

    statement: str = Field(description="Markdown; render it sanitised.")
    starter: str
    entrypoint: str
    limits: LimitsView
    public_checks: list[PublicCheck]
    questions: list[QuestionView] | None = Field(
        default=None,
        description="A quiz's questions, each one's points scaled like the problem's (they sum to points).",
    )
    files: list[str] = Field(default_factory=list, description="The files to submit, the entrypoint first.")


class CandidateSubmissionCreate(BaseModel):
    """A candidate's submission: the problem and the file's text (code, or a quiz's answers JSON)."""

    model_config = {"extra": "forbid"}

    problem: str = Field(pattern=SLUG_PATTERN)
    source: str


class CandidateCheck(BaseModel):
    """One check as the feedback level lets the candidate see it."""

    id: str
    outcome: Outcome
    points: float = Field(description="Points earned, scaled to the assessment's points.")
    max_points: float
    message: str | None = Field(default=None, description="Full feedback only.")
    explanation: str | None = Field(default=None, description="A quiz question's explanation; full feedback only.")
    series: list[Series] = Field(
        default_factory=list, description="Curves the candidate's own code produced (e.g. its loss)."
    )


class CandidateSubmissionView(BaseModel):
    """A candidate's own submission, filtered by the feedback level."""

    id: str
    problem: str
    number: int = Field(description="Which attempt at the problem this is (1 = first).")
    submitted_at: datetime
    status: SubmissionStatus
    feedback: FeedbackLevel
    verdict: Verdict | None = Field(default=None, description="Hidden at score_only.")
    score: float | None = Field(default=None, description="Points earned, scaled to the assessment's points.")
    max_score: float
    checks: list[CandidateCheck] | None = Field(
        default=None, description="None at score_only, before grading, or when the file does not compile."
    )
    withheld: str | None = Field(
        default=None, description="Why only the score is shown and when more will be (a quiz before it is settled)."
    )
    compile_error: SyntaxProblem | None = Field(
        default=None,
        description="Where and why the file does not compile (verdict compile_error), at every feedback level: "
        "it is about the candidate's own code and tells nothing of the checks.",
    )

    @computed_field(description="The line to highlight in the editor: the compile error's; else null.")  # type: ignore[prop-decorator]
    @property
    def error_line(self) -> int | None:
        return self.compile_error.line if self.compile_error is not None else None

    # The link follows from the id, so whoever builds the view names the submission, never a URL.
    @computed_field(description="GET: server-sent events of this submission's progress.")  # type: ignore[prop-decorator]
    @property
    def events(self) -> str:
        return candidate_events_url(self.id)


# ---------------------------------------------------------------- reports


class SimilarPairView(BaseModel):
    """Two candidates whose counted submissions to one problem look alike (starter code excluded)."""

    problem: str
    invitation_a: str
    candidate_a: str
    invitation_b: str
    candidate_b: str
    similarity: float = Field(description="0..1: the larger share of either one's own code found in the other's.")
    a_lines: list[LineRange]
    b_lines: list[LineRange]

    def __str__(self) -> str:
        return f"{self.problem}: {self.candidate_a} ~ {self.candidate_b} {self.similarity:.2f}"


class GradingView(BaseModel):
    """One grading of an entry (round 0: when it came in; N: rejudge N)."""

    round: int
    submission_id: str
    status: SubmissionStatus
    verdict: Verdict | None
    score: float | None = Field(description="Scaled to the assessment's points.")


class EntryReport(BaseModel):
    """One attempt of a candidate, as the team sees it."""

    id: str
    number: int
    submitted_at: datetime
    status: SubmissionStatus
    verdict: Verdict | None
    score: float | None = Field(description="Scaled to the assessment's points; from the latest grading.")
    raw_score: float | None
    raw_max_score: float | None
    counted: bool = Field(description="Whether this attempt is the one the scoring policy counts.")
    source: str
    integrity_flags: list[IntegrityFlag] = Field(description="Static hints for a reviewer; never scored.")
    checks: list[CheckResult] = Field(description="Empty when the file does not compile (see compile_error).")
    compile_error: SyntaxProblem | None = Field(
        default=None, description="Where and why the file does not compile (verdict compile_error); else null."
    )
    gradings: list[GradingView] = Field(description="Every grading, oldest first; more than one after a rejudge.")
    answers: list[AnsweredQuestion] | None = Field(
        default=None,
        description="A quiz attempt's questions with the chosen options, the key and points (scaled); "
        "None for code, or an answers file that does not parse.",
    )


class ProblemReport(BaseModel):
    """A candidate's result on one problem."""

    problem: str
    title: str
    points: float
    score: float | None = Field(description="Under the scoring policy; None without a graded attempt.")
    attempts: int
    verdict: Verdict | None = Field(description="The counted attempt's verdict.")
    entries: list[EntryReport]
    events: EventsSummary | None = Field(
        default=None, description="What the editor recorded for this problem (code problems); never scored."
    )


class CandidateRow(BaseModel):
    """One line of the ranking."""

    rank: int | None = Field(description="1 for the best total; None for candidates who never started.")
    invitation_id: str
    candidate_name: str
    candidate_email: str | None
    state: CandidateState
    started_at: datetime | None
    time_used_s: float | None
    total_score: float
    max_score: float
    percent: float
    attempts: int
    scores: dict[str, float | None] = Field(description="Problem -> counted points.")
    verdicts: dict[str, Verdict | None] = Field(description="Problem -> the counted attempt's verdict.")
    integrity_flags: int
    similar_to: list[str] = Field(description="Names of candidates with a similar counted submission.")
    pending: int = Field(description="Attempts still being graded.")
    flags: int = Field(description="Flags of every source (see CandidateReport.flags).")
    unreviewed_flags: int = Field(description="Of those, not yet reviewed by the team.")
    flag_list: str = Field(description="Every flag as `key=outcome` (or `key=unreviewed`), `; `-separated.")
    pasted_chars: int = Field(default=0, description="Characters pasted into the editor, over every problem.")
    away_s: float = Field(default=0.0, description="Seconds away from the problem pages, over every problem.")


class CandidateReport(BaseModel):
    """Everything about one candidate."""

    assessment_id: str
    invitation: InvitationView
    row: CandidateRow
    problems: list[ProblemReport]
    similar_pairs: list[SimilarPairView]
    flags: list[ReviewableFlag] = Field(
        description="Every integrity flag of every source, with its evidence and review."
    )


class ScoreBucket(BaseModel):
    """One bar of the score histogram: totals within [lower, upper) percent (the last includes 100)."""

    lower_percent: float
    upper_percent: float
    count: int


class ScoreDistribution(BaseModel):
    """Totals of candidates who started."""

    count: int
    mean: float | None
    median: float | None
    min: float | None
    max: float | None
    buckets: list[ScoreBucket]


class AssessmentReport(BaseModel):
    """The whole assessment: ranking, distribution, similar pairs and rejudges."""

    assessment: AssessmentView
    generated_at: datetime
    ranking: list[CandidateRow]
    distribution: ScoreDistribution
    similar_pairs: list[SimilarPairView]
    rejudges: list[RejudgeView]
    similarity_threshold: float


class AssessmentExport(AssessmentReport):
    """The JSON export: the report plus every candidate's detail (code included)."""

    candidates: list[CandidateReport]


#: At most this many candidates in one list; a longer one is refused whole (split it).
MAX_BATCH_ROWS = 500
#: At most this many characters of CSV in one list (a name and an email per line fit well within).
MAX_BATCH_CHARS = 200_000


class InvitationBatch(BaseModel):
    """Invite many candidates at once from CSV text: columns name and email (optional), a header row optional."""

    model_config = {"extra": "forbid"}

    csv: str = Field(
        max_length=MAX_BATCH_CHARS,
        description=f"CSV text, one candidate per line (name[,email]); at most {MAX_BATCH_ROWS} candidates.",
    )
    allow_duplicates: bool = Field(
        default=False,
        description="Invite names or emails already invited to this assessment (or repeated in the list) anyway.",
    )


class InvitationLink(BaseModel):
    """One invited candidate's link, as the bulk download lists it."""

    name: str
    email: str | None
    link: str
