"""Candidates' drafts: the code in the editor, kept on the server so that a reload, a crash or a
submission never loses it, and submitted for the candidate when their time runs out.

The editor shows the newest of the draft and the last submission's code (the starter when there is
neither). A draft is saved only while the candidate's time runs, bounded like a submission. When the
time has ended (clock, Finish or the window's close), each code problem's draft that the candidate never
submitted becomes their one attempt at it, as if submitted at the end of their time; `submit_when_time_up`
does it, from the sweeper every API process runs and on the candidate's next read of the overview, and
it marks every draft it handled in the same transaction, so a draft is submitted once however often
(or in however many processes) it runs, and one whose process died before the commit is submitted by
the next run.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from judge import intake
from judge.assessments import clock, service
from judge.assessments.attempts import load_attempts
from judge.assessments.errors import NotStarted
from judge.bank.loader import ProblemBank
from judge.errors import InvalidSubmission
from judge.intake import Enqueue, Source
from judge.problem import SLUG_PATTERN, Kind
from judge.storage import drafts as stored
from judge.storage.models import (
    Assessment,
    AssessmentEntry,
    AssessmentProblem,
    Draft,
    EntryGrading,
    Invitation,
    utcnow,
)

log = logging.getLogger(__name__)


class DraftOrigin(StrEnum):
    """Where the code the editor should show comes from."""

    DRAFT = "draft"
    SUBMISSION = "submission"
    STARTER = "starter"


class DraftSave(BaseModel):
    """A draft to keep: the editor's whole text."""

    model_config = {"extra": "forbid"}

    source: str = Field(description="The code as it is in the editor (at most limits.max_source_bytes of UTF-8).")


class DraftView(BaseModel):
    """The code to show in a problem's editor: the newest of the draft and the last submission, else the starter."""

    problem: str = Field(pattern=SLUG_PATTERN)
    source: str
    origin: DraftOrigin
    saved_at: datetime | None = Field(
        description="When the draft was saved, or the submission made; None for the starter."
    )
    auto_submitted: str | None = Field(
        default=None,
        description="The attempt this problem's draft was submitted as when the time ran out, if it was.",
    )


def _is_quiz(bank: ProblemBank, choice: AssessmentProblem) -> bool:
    problem = service.choice_problem(bank, choice)
    return problem is not None and problem.spec.kind is Kind.QUIZ


def restore(session: Session, bank: ProblemBank, invitation: Invitation, slug: str) -> DraftView:
    """What problem `slug`'s editor shows the candidate: the newest of their draft and their last
    submission's code, else the starter; only after Start, like the problem itself."""
    assessment = service.assessment_of(session, invitation)
    choice = service.assessment_choice(session, assessment, slug)
    if invitation.started_at is None:
        raise NotStarted("press Start first: problems are shown once your time runs")
    draft = stored.get(session, invitation.id, slug)
    mine = [a for a in load_attempts(session, assessment.id, invitation.id) if a.entry.problem == slug]
    last = max(mine, key=lambda a: a.entry.number) if mine else None
    automatic = stored.auto_submitted(session, invitation.id).get(slug)
    if draft is not None and (last is None or draft.saved_at > last.entry.submitted_at):
        return DraftView(
            problem=slug,
            source=draft.source,
            origin=DraftOrigin.DRAFT,
            saved_at=draft.saved_at,
            auto_submitted=automatic,
        )
    if last is not None:
        return DraftView(
            problem=slug,
            source=last.current.source.decode("utf-8"),
            origin=DraftOrigin.SUBMISSION,
            saved_at=last.entry.submitted_at,
            auto_submitted=automatic,
        )
    problem = service.choice_problem(bank, choice)
    starter = problem.starter() if problem is not None and problem.spec.kind is Kind.CODE else ""
    return DraftView(problem=slug, source=starter, origin=DraftOrigin.STARTER, saved_at=None)


def save(
    session: Session, bank: ProblemBank, invitation: Invitation, slug: str, body: DraftSave, now: datetime
) -> DraftView:
    """Keep the candidate's draft of code problem `slug`, replacing the one before: only while their time
    runs (NotStarted, OutsideWindow, TimeUp otherwise), at most limits.max_source_bytes (SourceTooLarge)."""
    assessment = service.assessment_of(session, invitation)
    choice = service.assessment_choice(session, assessment, slug)
    if _is_quiz(bank, choice):
        raise InvalidSubmission(f"{slug!r} is a quiz: drafts are kept for code problems only")
    # The submission's own check: a draft that saves can always be submitted as it is.
    intake.check_source(body.source.encode("utf-8"), bank.settings)
    clock.require_running(assessment, invitation, now, "press Start before saving a draft", "the draft was not saved")
    row = stored.save(session, invitation.id, slug, body.source, now)
    return DraftView(problem=slug, source=row.source, origin=DraftOrigin.DRAFT, saved_at=row.saved_at)


def submitted_source(session: Session, invitation: Invitation, entry_id: str) -> str:
    """The code (or a quiz's answers) of one of the candidate's own attempts; EntryNotFound for anyone else's."""
    attempt = service.candidate_attempt(session, invitation, entry_id)
    return attempt.current.source.decode("utf-8")


def auto_submitted(session: Session, invitation: Invitation) -> dict[str, str]:
    """Problem -> attempt id of the candidate's drafts that were submitted for them when their time ran out."""
    return stored.auto_submitted(session, invitation.id)


def _submit_draft(
    session: Session, bank: ProblemBank, invitation_id: str, slug: str, now: datetime, enqueue: Enqueue
) -> str | None:
    """Claim one due draft and, when its problem is a code problem the candidate never submitted, store it
    as their first attempt; the attempt's id, or None (claimed elsewhere, or nothing to submit)."""
    if not stored.claim(session, invitation_id, slug, now):
        session.rollback()
        return None
    invitation = session.get_one(Invitation, invitation_id)
    assessment = session.get_one(Assessment, invitation.assessment_id)
    choice = next((c for c in service.assessment_problems(session, assessment.id) if c.problem == slug), None)
    used = session.scalar(
        select(func.count()).where(AssessmentEntry.invitation_id == invitation_id, AssessmentEntry.problem == slug)
    )
    problem = service.choice_problem(bank, choice) if choice is not None else None
    draft = session.get_one(Draft, (invitation_id, slug))
    if choice is None or used or problem is None or problem.spec.kind is not Kind.CODE:
        session.commit()  # nothing to submit: marked, so it is not looked at again
        return None
    try:
        code = intake.check_source(draft.source.encode("utf-8"), bank.settings)
    except InvalidSubmission as exc:
        # Saved under a larger limit: the limit in force decides, as it would for the candidate's Submit.
        log.warning("draft of %s by invitation %s not submitted: %s", slug, invitation_id, exc)
        session.commit()
        return None
    entry = AssessmentEntry(
        id=uuid.uuid4().hex,
        assessment_id=assessment.id,
        invitation_id=invitation_id,
        problem=slug,
        number=1,
        # In time: the draft was saved before the end, and this stands for the Submit the end cut off.
        submitted_at=clock.ends_at(invitation) or now,
    )
    session.add(entry)
    submission = intake.stage(session, Source.CANDIDATE, slug, code, choice.package_hash)
    session.add(EntryGrading(entry_id=entry.id, round=0, submission_id=submission.id, created_at=utcnow()))
    session.flush()
    draft.entry_id = entry.id
    try:
        intake.commit(session, [submission], enqueue)
    except IntegrityError:
        # An attempt number 1 appeared meanwhile: the candidate did submit it.
        session.rollback()
        return None
    return entry.id


def submit_when_time_up(
    session: Session, bank: ProblemBank, now: datetime, enqueue: Enqueue, invitation_id: str | None = None
) -> list[str]:
    """Submit, for every candidate whose time has ended by `now` (one candidate when `invitation_id` is
    given), each code problem's draft they never submitted, as their first attempt at it; the new
    attempts' ids. Idempotent: each draft is handled once."""
    created = []
    for owner, slug in stored.due(session, now, invitation_id):
        entry_id = _submit_draft(session, bank, owner, slug, now, enqueue)
        if entry_id is not None:
            log.info("time up: submitted the draft of %s for invitation %s as attempt %s", slug, owner, entry_id)
            created.append(entry_id)
    session.rollback()  # end the read transaction of `due`
    return created


class DraftSweeper(threading.Thread):
    """Every `interval_s`, submits the drafts of candidates whose time has ended (see submit_when_time_up).
    Every API process runs one; their sweeps never submit one draft twice."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        bank: ProblemBank,
        now: Callable[[], datetime],
        enqueue: Enqueue,
        interval_s: float,
    ) -> None:
        super().__init__(daemon=True, name="judge-draft-sweeper")
        self.sessions, self.bank, self.now, self.enqueue, self.interval_s = sessions, bank, now, enqueue, interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        """Loop until stopped."""
        while not self.stopped.wait(self.interval_s):
            try:
                with self.sessions() as session:
                    submit_when_time_up(session, self.bank, self.now(), self.enqueue)
            except Exception:  # the database is away (restarting): the next sweep catches up
                log.exception("draft sweep failed; trying again in %g s", self.interval_s)
