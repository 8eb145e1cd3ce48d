"""The service's tables. Times are stored as naive UTC and come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A UTC instant; SQLite keeps no time zone, so both databases store naive UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware datetimes are converted to naive UTC before storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Stored values are read back as aware UTC datetimes."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Role(StrEnum):
    """What an API key may do: admin everything; team uploads problems and sees its team's submissions;
    candidate submits and sees only its own submissions."""

    ADMIN = "admin"
    TEAM = "team"
    CANDIDATE = "candidate"


class SubmissionStatus(StrEnum):
    """Where a submission is: waiting, being graded, graded, or given up on."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class SubmissionPurpose(StrEnum):
    """Why a submissions row exists: a counted grading, or a Run (public checks only, never counted)."""

    GRADE = "grade"
    RUN = "run"


class CallbackState(StrEnum):
    """Delivery of a submission's result to its callback_url."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class ApiKey(Base):
    """An API key; only a SHA-256 hash of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    team: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="The team a team key belongs to; None: the key is a team of its own (its id)."
    )


class Submission(Base):
    """One submission and, once graded, its result."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("owner_key_id", "idempotency_key", name="uq_submissions_owner_idempotency"),
        Index("ix_submissions_status", "status"),
        Index("ix_submissions_owner_created", "owner_key_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    problem: Mapped[str] = mapped_column(String(64))
    source: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    owner_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(32), nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True, doc="The GradeResult as JSON.")
    error: Mapped[str | None] = mapped_column(Text, nullable=True, doc="Why a failed submission was given up on.")
    grading_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True, doc="host:pid of the latest grader.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    callback_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    callback_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    package_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="The problem package version to grade against; None: the bank's current one."
    )
    priority: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", doc="Higher is graded first: candidates' work 0, rejudges below it."
    )
    purpose: Mapped[str] = mapped_column(
        String(16),
        default=SubmissionPurpose.GRADE.value,
        server_default=SubmissionPurpose.GRADE.value,
        doc="grade, or run: a Run is read only through the runs routes and listed nowhere (judge/runs.py).",
    )
    invitation_id: Mapped[str | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), nullable=True, doc="The candidate whose Run this is."
    )
    output: Mapped[str | None] = mapped_column(Text, nullable=True, doc="A Run's printed output, capped.")


class SubmissionCheck(Base):
    """One finished check of one grading try (column `attempt`), kept so event streams in any process can replay it."""

    __tablename__ = "submission_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text, doc="The CheckResult as JSON.")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeedbackLevel(StrEnum):
    """What a candidate sees of hidden checks while an assessment runs."""

    FULL = "full"  # every check, its outcome, points and message; quiz explanations
    CHECK_NAMES = "check_names"  # each check's id, outcome and points; no messages or explanations
    SCORE_ONLY = "score_only"  # the submission's score, nothing per check


class ScoringPolicy(StrEnum):
    """Which of a candidate's attempts at a problem counts."""

    BEST = "best"
    LAST = "last"


class Assessment(Base):
    """A team's timed set of problems that invited candidates take."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_team_created", "team", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_s: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer, doc="Submissions allowed per problem and candidate.")
    feedback: Mapped[str] = mapped_column(String(16))
    scoring: Mapped[str] = mapped_column(String(16))
    compile_error_uses_attempt: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        server_default=false(),
        doc="Whether a file that does not compile counts as an attempt (else it is refused at submit time).",
    )
    created_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AssessmentProblem(Base):
    """One problem of an assessment and the points it is worth there."""

    __tablename__ = "assessment_problems"
    __table_args__ = (UniqueConstraint("assessment_id", "problem", name="uq_assessment_problems_problem"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(String(64))
    points: Mapped[float] = mapped_column(Float)
    package_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="The package version the assessment grades with, fixed when it was created."
    )


class Invitation(Base):
    """One candidate's invitation: a token (only its SHA-256 kept) and that candidate's clock."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    candidate_name: Mapped[str] = mapped_column(String(200))
    candidate_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(),
        nullable=True,
        doc="When the candidate's time ends: start + duration, or the window's close if sooner.",
    )
    finished_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="When the candidate ended early."
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AssessmentEntry(Base):
    """One attempt of a candidate at a problem of an assessment: accepted in time, never lost."""

    __tablename__ = "assessment_entries"
    __table_args__ = (
        UniqueConstraint("invitation_id", "problem", "number", name="uq_assessment_entries_attempt"),
        Index("ix_assessment_entries_assessment", "assessment_id", "problem"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"))
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    problem: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer, doc="1 for the first attempt at this problem, 2 for the next, ...")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EntryGrading(Base):
    """One grading of an entry's source: round 0 when it came in, round N for the Nth rejudge."""

    __tablename__ = "entry_gradings"
    __table_args__ = (UniqueConstraint("entry_id", "round", name="uq_entry_gradings_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("assessment_entries.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rejudge(Base):
    """A team's request to grade every submission of an assessment (or of one of its problems) again."""

    __tablename__ = "rejudges"
    __table_args__ = (UniqueConstraint("assessment_id", "round", name="uq_rejudges_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(String(64), nullable=True, doc="None: every problem.")
    requested_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


#: ProblemOwner.team of an admin's upload: a public problem, which only an admin may replace.
PUBLIC_OWNER = "public"


class ProblemOwner(Base):
    """Who owns an uploaded problem: one team (its private bank), or PUBLIC_OWNER (the public bank).
    The row is written when an upload claims the slug, before validation."""

    __tablename__ = "problem_owners"

    problem: Mapped[str] = mapped_column(String(64), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PracticeMark(Base):
    """A public problem a team marked practice-only: not usable in that team's assessments."""

    __tablename__ = "practice_marks"

    team: Mapped[str] = mapped_column(String(64), primary_key=True)
    problem: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UploadStatus(StrEnum):
    """Where a queued problem upload is: waiting, being validated, installed, or refused."""

    QUEUED = "queued"
    RUNNING = "running"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"


class ProblemUpload(Base):
    """An uploaded problem package waiting for, or done with, validation; the archive is kept until then."""

    __tablename__ = "problem_uploads"
    __table_args__ = (Index("ix_problem_uploads_team_status", "team", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team: Mapped[str] = mapped_column(String(64), doc='The owning team; "public" for an admin\'s upload.')
    uploaded_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    archive: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=UploadStatus.QUEUED.value)
    slug: Mapped[str | None] = mapped_column(String(64), nullable=True)
    package_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replaced: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    report: Mapped[str | None] = mapped_column(Text, nullable=True, doc="The validation report's lines as JSON.")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="When the queue took the validation job."
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TeamSession(Base):
    """A signed-in team page session; only a SHA-256 of its token is kept, and logout or revoking the key ends it."""

    __tablename__ = "team_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Draft(Base):
    """A candidate's unsubmitted code for one problem, saved as they type; the latest save wins."""

    __tablename__ = "drafts"

    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    problem: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    swept_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, doc="When the time-up sweep handled it: it is never submitted twice."
    )
    entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("assessment_entries.id", ondelete="SET NULL"),
        nullable=True,
        doc="The attempt the sweep submitted it as, when the candidate had never submitted the problem.",
    )


class FlagReview(Base):
    """A team member's review of one integrity flag of a candidate: the flag's key, an outcome and a note.
    Flags themselves are computed when a report is made; only what a person decided about one is stored."""

    __tablename__ = "flag_reviews"
    __table_args__ = (UniqueConstraint("invitation_id", "key", name="uq_flag_reviews_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200), doc="The flag's key, stable within the invitation.")
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True)
    reviewer: Mapped[str] = mapped_column(String(200), doc="The reviewing key's name when the review was made.")
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FingerprintSet(Base):
    """That a counted submission to an assessment has its fingerprints stored, and how many (judge/similarity.py)."""

    __tablename__ = "fingerprint_sets"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(String(64))
    assessment_id: Mapped[str] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    hashes: Mapped[int] = mapped_column(Integer, doc="How many fingerprints it has (none: starter code only).")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Fingerprint(Base):
    """One winnowed fingerprint of a counted submission; team and problem repeated so one index finds every
    submission of the team's that shares it."""

    __tablename__ = "fingerprints"
    # submission_id last makes the index cover the lookup: no table row is read per shared hash.
    __table_args__ = (Index("ix_fingerprints_team_problem_hash", "team", "problem", "hash", "submission_id"),)

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("fingerprint_sets.submission_id", ondelete="CASCADE"), primary_key=True
    )
    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    team: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(String(64))


class KnownSolution(Base):
    """A team's known solution to a problem (a leaked answer, an assistant's answer): submissions like it are
    flagged on the team's reports."""

    __tablename__ = "known_solutions"
    __table_args__ = (Index("ix_known_solutions_team_problem", "team", "problem"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    uploaded_by_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EditLog(Base):
    """One batch of a candidate's editor events for one problem (judge/assessments/playback.py), as the
    recorder of one page load sent it: `page` names the load, `seq` the batch, so a retried batch is
    stored once."""

    __tablename__ = "edit_logs"
    __table_args__ = (
        UniqueConstraint("invitation_id", "problem", "page", "seq", name="uq_edit_logs_batch"),
        Index("ix_edit_logs_invitation", "invitation_id", "problem"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    problem: Mapped[str] = mapped_column(String(64))
    page: Mapped[str] = mapped_column(String(32), doc="The page load that recorded it (the recorder's random id).")
    seq: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    clock_offset_ms: Mapped[int] = mapped_column(
        BigInteger, doc="Server time minus the browser's when the batch arrived: added to its events' times."
    )
    events: Mapped[str] = mapped_column(Text, doc="The batch's events, as JSON.")
    size_bytes: Mapped[int] = mapped_column(
        Integer, doc="UTF-8 bytes of `events`: counted against the candidate's bound."
    )
