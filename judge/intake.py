"""Taking in submissions: every way a submission enters the grading queue goes through here.

A source is size-checked and decoded once, as it arrives (`check_source`); its row is made by the one
builder, storage.submissions.build, at the priority of where it came from; the queue-full policy of
where it came from (`POLICIES`) decides whether it is taken; and it is handed to the queue only once
its row is committed (`accept`, `commit`), so a grader never looks for a row that is not there, and a
broker that refuses it leaves it queued for the redispatcher.

What each entry point checks beyond this (an API key's problems and callback_url, an Idempotency-Key,
an assessment's window and attempts) stays with that entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy.orm import Session

from judge import bundle
from judge.assessments.errors import RejudgeQueueFull
from judge.errors import CompileError, Overloaded
from judge.grading import decode_source
from judge.settings import Settings
from judge.storage import submissions
from judge.storage.models import Submission
from judge.storage.submissions import NORMAL_PRIORITY, REJUDGE_PRIORITY, RUN_PRIORITY, NewSubmission

#: Called with each new submission's id once its row is committed (the service passes the dispatcher's).
Enqueue = Callable[[str], object]


class Source(StrEnum):
    """Where a submission comes from."""

    API = "api"  # POST /api/v1/submissions, with any API key
    CANDIDATE = "candidate"  # an assessment attempt: the candidate API or the candidate's web page
    REJUDGE = "rejudge"  # a rejudge round's gradings: the team API or the team's pages
    RUN = "run"  # a Run (judge/runs.py): public checks only, never counted; the candidate's page or API, any API key


class WhenFull(StrEnum):
    """What a full queue does to a new submission."""

    ACCEPT = "accept"
    REFUSE_AT_QUEUE_LIMIT = "refuse_at_queue_limit"
    REFUSE_OVER_BACKLOG = "refuse_over_backlog"


@dataclass(frozen=True)
class QueuePolicy:
    """How submissions from one source meet the queue.

    `when_full`:
      - ACCEPT: taken however many wait (an assessment attempt: the candidate's clock runs, and a
        refusal would cost them time they cannot get back).
      - REFUSE_AT_QUEUE_LIMIT: QueueFull once `queue_depth` reaches settings.queue.limit (the API
        answers 503 with Retry-After settings.queue.retry_after_s).
      - REFUSE_OVER_BACKLOG: RejudgeQueueFull when the new gradings on top of the low-priority
        backlog (every assessment's rejudges waiting) would pass settings.queue.limit (503, Retry-After
        settings.queue.retry_after_s).

    `priority`: submissions.priority of its rows; higher is graded first. Below NORMAL_PRIORITY, a
    grading waits until no normal work does and is left out of `queue_depth` (`counts_toward_depth`),
    so that a big rejudge never locks out candidates or API clients.
    """

    when_full: WhenFull
    priority: int

    @property
    def counts_toward_depth(self) -> bool:
        """Whether waiting submissions of this source count in storage.submissions.queue_depth."""
        return self.priority >= NORMAL_PRIORITY


#: The queue-full policy of each source (docs/service.md shows this table).
POLICIES: Mapping[Source, QueuePolicy] = MappingProxyType(
    {
        Source.API: QueuePolicy(WhenFull.REFUSE_AT_QUEUE_LIMIT, NORMAL_PRIORITY),
        Source.CANDIDATE: QueuePolicy(WhenFull.ACCEPT, NORMAL_PRIORITY),
        Source.REJUDGE: QueuePolicy(WhenFull.REFUSE_OVER_BACKLOG, REJUDGE_PRIORITY),
        # Limited per caller (settings.rate_limits.runs_per_minute) rather than by the queue's depth.
        Source.RUN: QueuePolicy(WhenFull.ACCEPT, RUN_PRIORITY),
    }
)


class QueueFull(Overloaded):
    """An API submission while settings.queue.limit submissions wait; retry later."""


@dataclass(frozen=True)
class CheckedSource:
    """A submission file that passed the size and text check: the only kind of source stored."""

    data: bytes


def check_source(source: bytes, settings: Settings) -> CheckedSource:
    """The one size and text check of a new source, before anything else is done with it:
    SourceTooLarge over settings.limits.max_source_bytes, InvalidSubmission when it is not UTF-8 text or
    holds a NUL character."""
    decode_source(source, settings)
    return CheckedSource(source)


def refuse_compile_error(code: CheckedSource, names: Sequence[str]) -> None:
    """CompileError, naming the line, when the Python source (of the files `names`) does not compile.
    The code is never run and the check is bounded (judge.syntax), so it is safe before anything is
    stored or queued."""
    problem = bundle.syntax_problem(code.data.decode("utf-8"), names)
    if problem is not None:
        raise CompileError(problem)


def make_room(session: Session, settings: Settings, source: Source, count: int = 1) -> None:
    """Refuse `count` new submissions from `source` as its policy says when the queue is full."""
    when_full = POLICIES[source].when_full
    if when_full is WhenFull.REFUSE_AT_QUEUE_LIMIT:
        if submissions.queue_depth(session) + count > settings.queue.limit:
            raise QueueFull(
                f"the grading queue is full ({settings.queue.limit} submissions waiting); retry later",
                settings.queue.retry_after_s,
            )
    elif when_full is WhenFull.REFUSE_OVER_BACKLOG:
        waiting = submissions.low_priority_backlog(session)
        if waiting + count > settings.queue.limit:
            raise RejudgeQueueFull(
                f"this round would queue {count} gradings on top of {waiting} rejudge gradings already waiting, "
                f"past the queue limit of {settings.queue.limit}; retry once they are graded, "
                "or rejudge one problem at a time",
                settings.queue.retry_after_s,
            )


def accept(
    session: Session,
    settings: Settings,
    new: NewSubmission,
    enqueue: Enqueue,
) -> tuple[Submission, bool]:
    """Store and queue an API submission whose source `check_source` passed: (row, created). With
    an Idempotency-Key another request stored first, that earlier row and False, nothing queued;
    QueueFull when the queue is full."""
    make_room(session, settings, Source.API)
    row, created = submissions.create(session, new)
    if created:
        enqueue(row.id)
    return row, created


def stage(session: Session, source: Source, problem: str, code: CheckedSource, package_hash: str | None) -> Submission:
    """Add a grading of `code` against package version `package_hash` (None: the bank's current one),
    owned by no key, to the session at `source`'s priority; flushed, so rows may refer to it, and left
    for `commit` with the rows that say whose it is."""
    row = submissions.build(
        NewSubmission(problem=problem, source=code.data, package_hash=package_hash, priority=POLICIES[source].priority)
    )
    session.add(row)
    session.flush()
    return row


def commit(session: Session, staged: Sequence[Submission], enqueue: Enqueue) -> None:
    """Commit the session, then queue the staged submissions; nothing is queued when the commit fails."""
    # Read before the commit expires the rows, which would cost a query each.
    ids = [row.id for row in staged]
    session.commit()
    for submission_id in ids:
        enqueue(submission_id)
