"""Runs: trying code against a problem's public checks before submitting it.

A Run grades the code in the sandbox like a submission, but only against the checks a candidate may
see (the hidden ones are neither copied into its workspace nor run), keeps what the code printed
(capped at settings.limits.output_cap_bytes), and counts nowhere: it uses no attempt and is in no
score, report, CSV, similarity or integrity scan, rejudge or dashboard. Candidates run from their
assessment (while their time runs, like a submission); any API key runs practice problems it sees.

Storage: a Run is a `submissions` row with purpose `run` (migration 0004_runs), so it goes through
the one queue, the same workers and sandboxes, the heartbeats, retries and redispatcher of every
grading without a second copy of any of them. Counting stays default-deny: a Run has no assessment
entry (every assessment listing goes through entries), and every listing, read and count of
submissions outside this module takes only storage.submissions.COUNTED rows. Runs wait at
intake.POLICIES[Source.RUN]'s priority, after counted work and before rejudges, and are left out of
the queue depth that refuses API submissions: each caller's Runs are rate-limited instead
(settings.rate_limits.runs_per_minute).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from judge import intake
from judge.assessments import clock, service
from judge.assessments.errors import NotStarted, OutsideWindow, TimeUp
from judge.bank import ownership
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.errors import InvalidProblem, NothingToRun, ProblemNotFound, RunNotFound
from judge.grading import public_checks
from judge.intake import POLICIES, CheckedSource, Enqueue, Source
from judge.problem import SLUG_PATTERN, CheckSpec, Kind, Problem
from judge.result import CheckResult, Outcome, Verdict
from judge.settings import Settings
from judge.storage import submissions
from judge.storage.models import Invitation, Submission, SubmissionPurpose, SubmissionStatus
from judge.storage.submissions import NewSubmission, result_of


class RunCreate(BaseModel):
    """Code to run: the problem's slug and the file's text."""

    model_config = {"extra": "forbid"}

    problem: str = Field(pattern=SLUG_PATTERN)
    source: str


class RunCheck(BaseModel):
    """One public check's outcome in a Run."""

    id: str
    title: str = Field(description="What the check tests, as the problem states it.")
    outcome: Outcome
    message: str = Field(default="", description="The check's own message when it did not pass.")


class RunView(BaseModel):
    """A Run: its status and, once graded, each public check's outcome and the code's printed output."""

    id: str
    problem: str
    status: SubmissionStatus = Field(description="queued, running, completed, or failed (the judge gave up).")
    verdict: Verdict | None = Field(default=None, description="Over the public checks only; never counted.")
    passed: int | None = Field(default=None, description="Public checks passed, once completed.")
    total: int = Field(description="Public checks the Run runs.")
    checks: list[RunCheck] | None = None
    output: str | None = Field(default=None, description="What the code printed (stdout and stderr), capped.")
    error: str | None = Field(default=None, description="Why a failed Run could not be graded.")
    created_at: datetime
    finished_at: datetime | None = None


def run_view(row: Submission, specs: Sequence[CheckSpec]) -> RunView:
    """The view of one stored Run, its checks titled from `specs` (the problem's public checks)."""
    result = result_of(row) if row.status == SubmissionStatus.COMPLETED.value else None
    titles = {c.id: c.title for c in specs}
    checks = None
    if result is not None:
        checks = [_check(c, titles) for c in result.checks]
    finished = row.status in submissions.FINISHED
    return RunView(
        id=row.id,
        problem=row.problem,
        status=SubmissionStatus(row.status),
        verdict=Verdict(row.verdict) if result is not None and row.verdict else None,
        passed=sum(c.outcome is Outcome.PASSED for c in checks) if checks is not None else None,
        total=len(specs),
        checks=checks,
        output=row.output if finished else None,
        error=row.error if row.status == SubmissionStatus.FAILED.value else None,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def _check(check: CheckResult, titles: dict[str, str]) -> RunCheck:
    return RunCheck(id=check.id, title=titles.get(check.id, ""), outcome=check.outcome, message=check.message)


def run_checks_after(session: Session, bank: ProblemBank, run_id: str, after_id: int) -> list[tuple[int, RunCheck]]:
    """The checks of Run `run_id` that finished after event `after_id`, with their event ids, in order (for
    an event stream; the caller has read the Run as its own first)."""
    row = session.get_one(Submission, run_id)
    titles = {c.id: c.title for c in _specs_of(bank, row)}
    return [
        (event.id, _check(submissions.check_of(event), titles))
        for event in submissions.checks_after(session, run_id, after_id)
    ]


def runnable_checks(problem: Problem) -> list[CheckSpec]:
    """The public checks a Run of `problem` runs; NothingToRun (422) for a quiz or a problem without any."""
    if problem.spec.kind is Kind.QUIZ:
        raise NothingToRun(f"{problem.slug} is a quiz: there is nothing to run; submit your answers")
    specs = public_checks(problem)
    if not specs:
        raise NothingToRun(f"{problem.slug} has no public checks to run; submit to have it graded")
    return specs


def accept_code(source: str, problem: Problem, settings: Settings) -> CheckedSource:
    """The Run's source after the intake's size, text and syntax checks, refused (422, a compile error
    naming its line) before anything is queued: a file that does not compile has nothing to run."""
    code = intake.check_source(source.encode("utf-8"), settings)
    intake.refuse_compile_error(code, problem.file_names)
    return code


def _queue(session: Session, new: NewSubmission, enqueue: Enqueue) -> Submission:
    row = submissions.build(new)
    session.add(row)
    intake.commit(session, [row], enqueue)
    session.refresh(row)
    return row


def start_practice_run(
    session: Session, bank: ProblemBank, key_id: str, viewer: Viewer, body: RunCreate, enqueue: Enqueue
) -> RunView:
    """Queue a Run of a problem the key sees, at the bank's current version."""
    intake.check_source(body.source.encode("utf-8"), bank.settings)  # size first: nothing big is parsed
    if body.problem not in ownership.visible_directories(session, bank.settings, viewer):
        raise ProblemNotFound(f"no problem {body.problem!r}; GET /api/v1/problems lists them")
    problem = bank.load(body.problem)
    specs = runnable_checks(problem)
    code = accept_code(body.source, problem, bank.settings)
    new = NewSubmission(
        problem=body.problem,
        source=code.data,
        owner_key_id=key_id,
        priority=POLICIES[Source.RUN].priority,
        purpose=SubmissionPurpose.RUN,
    )
    return run_view(_queue(session, new, enqueue), specs)


def practice_run(session: Session, bank: ProblemBank, key_id: str, run_id: str) -> RunView:
    """One of the key's own Runs; RunNotFound for anyone else's (ids tell nothing about others)."""
    return _own_run(session, bank, run_id, Submission.owner_key_id == key_id)


def _require_running(session: Session, invitation: Invitation, now: datetime) -> None:
    """A candidate runs code while they could submit it: started, the window open, their time not up."""
    assessment = service.assessment_of(session, invitation)
    if now < assessment.opens_at or now >= assessment.closes_at:
        raise OutsideWindow("the assessment is not open: code can be run only while it is")
    if invitation.started_at is None:
        raise NotStarted("press Start before running your code")
    end = clock.ends_at(invitation)
    if end is not None and now >= end:
        raise TimeUp("your time has ended: code can no longer be run")


def start_candidate_run(
    session: Session, bank: ProblemBank, invitation: Invitation, body: RunCreate, now: datetime, enqueue: Enqueue
) -> RunView:
    """Queue a candidate's Run of a problem of their assessment, at the version the assessment grades."""
    intake.check_source(body.source.encode("utf-8"), bank.settings)  # size first: nothing big is parsed
    assessment = service.assessment_of(session, invitation)
    choice = service.assessment_choice(session, assessment, body.problem)
    _require_running(session, invitation, now)
    problem = service.choice_problem(bank, choice)
    if problem is None:
        raise ProblemNotFound(f"problem {body.problem!r} is no longer in the bank; tell the hiring team")
    specs = runnable_checks(problem)
    code = accept_code(body.source, problem, bank.settings)
    new = NewSubmission(
        problem=choice.problem,
        source=code.data,
        package_hash=choice.package_hash,
        priority=POLICIES[Source.RUN].priority,
        purpose=SubmissionPurpose.RUN,
        invitation_id=invitation.id,
    )
    return run_view(_queue(session, new, enqueue), specs)


def candidate_run(session: Session, bank: ProblemBank, invitation_id: str, run_id: str) -> RunView:
    """One of the candidate's (the invitation's) own Runs; RunNotFound for anyone else's."""
    return _own_run(session, bank, run_id, Submission.invitation_id == invitation_id)


def _own_run(session: Session, bank: ProblemBank, run_id: str, owned: ColumnElement[bool]) -> RunView:
    """The Run `run_id` when `owned` holds for it, read afresh (a long poll reads it again and again)."""
    session.expire_all()
    row = session.scalar(
        select(Submission).where(Submission.id == run_id, Submission.purpose == SubmissionPurpose.RUN.value, owned)
    )
    if row is None:
        raise RunNotFound(f"no run {run_id!r} among yours")
    return run_view(row, _specs_of(bank, row))


def _specs_of(bank: ProblemBank, row: Submission) -> list[CheckSpec]:
    """The public checks of the version the Run was graded against; none when it has gone from the bank."""
    try:
        return public_checks(bank.load(row.problem, row.package_hash))
    except (ProblemNotFound, InvalidProblem):
        return []
