"""The assessment service: what API routes and web pages call. Every function takes a database
session, the service's problem bank (its settings, with uploads) and, where time matters, `now`; it returns pydantic
models and raises the refusals of judge.assessments.errors.

Team functions take a Viewer (the calling key's team; admins see every team's assessments).
Candidate functions take the Invitation that `authenticate` returned for the presented token.
Functions that store submissions take `enqueue`, called with each new submission id once it is
committed (the API passes the dispatcher; a refused broker leaves it queued for the redispatcher).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from judge import bundle, intake
from judge.assessments import clock, feedback, tokens
from judge.assessments.attempts import Attempt, counted, load_attempts
from judge.assessments.errors import (
    AssessmentNotFound,
    AttemptsExhausted,
    EntryNotFound,
    InvalidAssessment,
    InvalidInvitationToken,
    InvitationExpired,
    InvitationNotFound,
    NotStarted,
    OutsideWindow,
    ProblemNotInAssessment,
    ProblemNotUsable,
    RejudgeInProgress,
    TimeUp,
)
from judge.assessments.schemas import (
    AssessmentCreate,
    AssessmentProblemView,
    AssessmentView,
    CandidateOverview,
    CandidateProblem,
    CandidateProblemSummary,
    CandidateState,
    CandidateSubmissionCreate,
    CandidateSubmissionView,
    InvitationCreate,
    InvitationIssued,
    InvitationView,
    RejudgeCreate,
    RejudgeView,
)
from judge.bank import ownership, versions
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.errors import InvalidProblem, ProblemNotFound
from judge.intake import CheckedSource, Enqueue, Source
from judge.problem import Kind, Problem
from judge.quiz import parse_answers
from judge.result import Verdict
from judge.statement import Audience
from judge.storage.models import (
    Assessment,
    AssessmentEntry,
    AssessmentProblem,
    EntryGrading,
    FeedbackLevel,
    Invitation,
    Rejudge,
    ScoringPolicy,
    Submission,
    SubmissionStatus,
    utcnow,
)
from judge.storage.submissions import FINISHED, UNFINISHED, result_of
from judge.views import LimitsView, ProblemDetail

#: The invite page's path; the token is the last segment.
INVITE_PATH = "/invite/{token}"
#: How often a submit retries when another submission to the same problem took its attempt number.
SUBMIT_RACE_RETRIES = 3


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- shared reads


def choice_problem(bank: ProblemBank, choice: AssessmentProblem) -> Problem | None:
    """The problem as the assessment grades it: the package version it was created with (the bank's
    current one for an assessment made before versions were kept), or None when it is gone or broke."""
    try:
        return bank.load(choice.problem, choice.package_hash)
    except (ProblemNotFound, InvalidProblem):
        return None


def assessment_problems(session: Session, assessment_id: str) -> list[AssessmentProblem]:
    """The assessment's problems in their order."""
    query = (
        select(AssessmentProblem)
        .where(AssessmentProblem.assessment_id == assessment_id)
        .order_by(AssessmentProblem.position)
    )
    return list(session.scalars(query))


def team_assessment(session: Session, viewer: Viewer, assessment_id: str) -> Assessment:
    """An assessment of the viewer's team (any, for an admin); AssessmentNotFound otherwise."""
    row = session.get(Assessment, assessment_id)
    if row is None or not (viewer.admin or row.team == viewer.team):
        raise AssessmentNotFound(f"no assessment {assessment_id!r} (or not one of your team's)")
    return row


def assessment_view(session: Session, bank: ProblemBank, row: Assessment) -> AssessmentView:
    """The team's view of one assessment."""
    problems = []
    for choice in assessment_problems(session, row.id):
        problem = choice_problem(bank, choice)
        problems.append(
            AssessmentProblemView(
                problem=choice.problem,
                title=problem.spec.title if problem else f"{choice.problem} (no longer in the bank)",
                kind=problem.spec.kind if problem else Kind.CODE,
                points=choice.points,
                max_score=problem.max_score if problem else 0.0,
            )
        )
    invited = session.scalar(select(func.count()).where(Invitation.assessment_id == row.id)) or 0
    return AssessmentView(
        id=row.id,
        team=row.team,
        title=row.title,
        description=row.description,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        duration_s=row.duration_s,
        max_attempts=row.max_attempts,
        feedback=FeedbackLevel(row.feedback),
        scoring=ScoringPolicy(row.scoring),
        compile_error_uses_attempt=row.compile_error_uses_attempt,
        problems=problems,
        total_points=sum(p.points for p in problems),
        invitations=invited,
        created_at=row.created_at,
    )


def invitation_view(assessment: Assessment, row: Invitation, now: datetime) -> InvitationView:
    """An invitation without its token."""
    return InvitationView(
        id=row.id,
        assessment_id=row.assessment_id,
        candidate_name=row.candidate_name,
        candidate_email=row.candidate_email,
        state=clock.state_of(assessment, row, now),
        expires_at=row.expires_at,
        created_at=row.created_at,
        started_at=row.started_at,
        deadline_at=row.deadline_at,
        finished_at=row.finished_at,
        revoked_at=row.revoked_at,
    )


# ---------------------------------------------------------------- the team's side


def create_assessment(
    session: Session, bank: ProblemBank, viewer: Viewer, key_id: str | None, body: AssessmentCreate, now: datetime
) -> AssessmentView:
    """Store a new assessment of the viewer's team. Every problem must be visible to the team
    (public, or its own private bank) and not marked practice-only by it. Each problem's package is
    kept as it is now: the assessment grades that version, whatever is uploaded later."""
    if viewer.team is None:
        raise InvalidAssessment("only a team or admin key can create an assessment")
    if body.closes_at <= now:
        raise InvalidAssessment(f"closes_at ({_iso(body.closes_at)}) is in the past")
    chosen = []
    for position, choice in enumerate(body.problems):
        problem = ownership.visible_problem(session, bank.settings, viewer, choice.problem)
        if ownership.is_practice_only(session, viewer.team, choice.problem):
            raise ProblemNotUsable(
                f"problem {choice.problem!r} is marked practice-only for your team; unmark it to use it in an assessment"
            )
        if problem.max_score <= 0:
            raise ProblemNotUsable(f"problem {choice.problem!r} has no points to score")
        version = versions.snapshot(bank.settings, problem)
        chosen.append(
            AssessmentProblem(
                position=position,
                problem=choice.problem,
                points=choice.points or problem.max_score,
                package_hash=version,
            )
        )
    row = Assessment(
        id=uuid.uuid4().hex,
        team=viewer.team,
        title=body.title,
        description=body.description,
        opens_at=body.opens_at,
        closes_at=body.closes_at,
        duration_s=body.duration_s,
        max_attempts=body.max_attempts,
        feedback=body.feedback.value,
        scoring=body.scoring.value,
        compile_error_uses_attempt=body.compile_error_uses_attempt,
        created_by_key_id=key_id,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    for picked in chosen:
        picked.assessment_id = row.id
        session.add(picked)
    session.commit()
    return assessment_view(session, bank, row)


def list_assessments(session: Session, bank: ProblemBank, viewer: Viewer) -> list[AssessmentView]:
    """The viewer's team's assessments, newest first (every team's for an admin)."""
    query = select(Assessment).order_by(Assessment.created_at.desc(), Assessment.id)
    if not viewer.admin:
        query = query.where(Assessment.team == viewer.team)
    return [assessment_view(session, bank, row) for row in session.scalars(query)]


def get_assessment(session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str) -> AssessmentView:
    """One of the viewer's team's assessments."""
    return assessment_view(session, bank, team_assessment(session, viewer, assessment_id))


def invite(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, body: InvitationCreate, now: datetime
) -> InvitationIssued:
    """Invite one candidate: a new unguessable token (only its hash is kept), shown once with its link."""
    assessment = team_assessment(session, viewer, assessment_id)
    if now >= assessment.closes_at:
        raise InvalidAssessment(
            f"the assessment closed at {_iso(assessment.closes_at)}; a new invitation could not be used"
        )
    expires_at = body.expires_at or assessment.closes_at + timedelta(
        seconds=bank.settings.assessments.invitation_grace_s
    )
    if expires_at <= now:
        raise InvalidAssessment(f"expires_at ({_iso(expires_at)}) is in the past")
    if expires_at <= assessment.opens_at:
        raise InvalidAssessment(f"expires_at ({_iso(expires_at)}) is before the assessment opens")
    new = tokens.new_token()
    row = Invitation(
        id=new.invitation_id,
        assessment_id=assessment.id,
        candidate_name=body.candidate_name,
        candidate_email=body.candidate_email,
        token_hash=new.token_hash,
        expires_at=expires_at,
        created_at=utcnow(),
    )
    session.add(row)
    session.commit()
    view = invitation_view(assessment, row, now)
    return InvitationIssued(**view.model_dump(), token=new.token, link=INVITE_PATH.format(token=new.token))


def list_invitations(session: Session, viewer: Viewer, assessment_id: str, now: datetime) -> list[InvitationView]:
    """The assessment's invitations, oldest first (never their tokens)."""
    assessment = team_assessment(session, viewer, assessment_id)
    query = (
        select(Invitation)
        .where(Invitation.assessment_id == assessment.id)
        .order_by(Invitation.created_at, Invitation.id)
    )
    return [invitation_view(assessment, row, now) for row in session.scalars(query)]


def team_invitation(
    session: Session, viewer: Viewer, assessment_id: str, invitation_id: str
) -> tuple[Assessment, Invitation]:
    """An invitation of one of the viewer's team's assessments."""
    assessment = team_assessment(session, viewer, assessment_id)
    row = session.get(Invitation, invitation_id)
    if row is None or row.assessment_id != assessment.id:
        raise InvitationNotFound(f"no invitation {invitation_id!r} in assessment {assessment_id!r}")
    return assessment, row


def revoke_invitation(
    session: Session, viewer: Viewer, assessment_id: str, invitation_id: str, now: datetime
) -> InvitationView:
    """Withdraw an invitation: its token stops working at once (what was submitted stays). Idempotent."""
    assessment, row = team_invitation(session, viewer, assessment_id, invitation_id)
    if row.revoked_at is None:
        row.revoked_at = now
        session.commit()
    return invitation_view(assessment, row, now)


def _rejudge_view(session: Session, row: Rejudge) -> RejudgeView:
    query = (
        select(Submission.status)
        .join(EntryGrading, EntryGrading.submission_id == Submission.id)
        .join(AssessmentEntry, AssessmentEntry.id == EntryGrading.entry_id)
        .where(AssessmentEntry.assessment_id == row.assessment_id, EntryGrading.round == row.round)
    )
    statuses = list(session.scalars(query))
    return RejudgeView(
        round=row.round,
        problem=row.problem,
        created_at=row.created_at,
        gradings=len(statuses),
        finished=sum(1 for s in statuses if s in FINISHED),
    )


def list_rejudges(session: Session, viewer: Viewer, assessment_id: str) -> list[RejudgeView]:
    """The assessment's rejudge rounds, oldest first."""
    assessment = team_assessment(session, viewer, assessment_id)
    query = select(Rejudge).where(Rejudge.assessment_id == assessment.id).order_by(Rejudge.round)
    return [_rejudge_view(session, row) for row in session.scalars(query)]


def _open_round(session: Session, assessment_id: str) -> Rejudge | None:
    """The assessment's rejudge round that still has a grading queued or running, if any."""
    grading = (
        select(EntryGrading.round)
        .join(AssessmentEntry, AssessmentEntry.id == EntryGrading.entry_id)
        .join(Submission, Submission.id == EntryGrading.submission_id)
        .where(
            AssessmentEntry.assessment_id == assessment_id, EntryGrading.round > 0, Submission.status.in_(UNFINISHED)
        )
    )
    query = (
        select(Rejudge)
        .where(Rejudge.assessment_id == assessment_id, Rejudge.round.in_(grading))
        .order_by(Rejudge.round)
    )
    return session.scalar(query.limit(1))


def _in_progress(session: Session, row: Rejudge) -> RejudgeInProgress:
    view = _rejudge_view(session, row)
    scope = f"problem {row.problem!r}" if row.problem else "every problem"
    return RejudgeInProgress(
        f"rejudge round {row.round} ({scope}) is still grading ({view.finished} of {view.gradings} graded); "
        "one round at a time: ask again once it has finished"
    )


def rejudge(
    session: Session,
    bank: ProblemBank,
    viewer: Viewer,
    key_id: str | None,
    assessment_id: str,
    body: RejudgeCreate,
    enqueue: Enqueue,
) -> RejudgeView:
    """Grade every submission of the assessment (or of one problem) again, from the same stored
    source, as a new round; the latest grading of each is what counts from then on. The round grades
    the package versions the assessment holds; with body.current_package, the problems' current
    packages instead, which the assessment then keeps (later submissions are graded with them too).

    One round at a time: while a round of the assessment still grades, RejudgeInProgress. The
    gradings are queued below candidates' work (REJUDGE_PRIORITY), and a round that would take the
    rejudges waiting, every assessment's, past bank.settings.queue.limit is refused (RejudgeQueueFull)."""
    session.expire_all()
    assessment = team_assessment(session, viewer, assessment_id)
    choices = {c.problem: c for c in assessment_problems(session, assessment.id)}
    if body.problem is not None and body.problem not in choices:
        raise ProblemNotInAssessment(f"problem {body.problem!r} is not part of this assessment")
    open_round = _open_round(session, assessment.id)
    if open_round is not None:
        raise _in_progress(session, open_round)
    attempts = [
        a for a in load_attempts(session, assessment.id) if body.problem is None or a.entry.problem == body.problem
    ]
    if not attempts:
        raise InvalidAssessment("there are no submissions to rejudge yet")
    intake.make_room(session, bank.settings, Source.REJUDGE, len(attempts))
    if body.current_package:
        for choice in choices.values():
            if body.problem in (None, choice.problem):
                # The assessment's team must still see the problem (an admin's request included).
                current = ownership.visible_problem(session, bank.settings, Viewer(assessment.team), choice.problem)
                choice.package_hash = versions.snapshot(bank.settings, current)
    latest = session.scalar(select(func.max(Rejudge.round)).where(Rejudge.assessment_id == assessment.id)) or 0
    row = Rejudge(
        assessment_id=assessment.id,
        round=latest + 1,
        problem=body.problem,
        requested_by_key_id=key_id,
        created_at=utcnow(),
    )
    session.add(row)
    staged = []
    for attempt in attempts:
        kept = choices.get(attempt.entry.problem)
        # Checked when it was first taken in: a rejudge grades exactly what was stored.
        code = CheckedSource(attempt.current.source)
        submission = intake.stage(
            session, Source.REJUDGE, attempt.entry.problem, code, kept.package_hash if kept else None
        )
        session.add(
            EntryGrading(entry_id=attempt.entry.id, round=row.round, submission_id=submission.id, created_at=utcnow())
        )
        staged.append(submission)
    try:
        intake.commit(session, staged, enqueue)
    except IntegrityError:
        # Another request started this round first: that one is the open round now.
        session.rollback()
        other = session.scalar(
            select(Rejudge).where(Rejudge.assessment_id == assessment.id, Rejudge.round == latest + 1)
        )
        if other is None:
            raise
        raise _in_progress(session, other) from None
    return _rejudge_view(session, row)


# ---------------------------------------------------------------- the candidate's side


def authenticate(session: Session, token: str, now: datetime) -> Invitation:
    """The invitation `token` opens; InvalidInvitationToken (unknown, malformed, withdrawn) or
    InvitationExpired."""
    invitation_id = tokens.invitation_id_of(token)
    row = session.get(Invitation, invitation_id) if invitation_id else None
    if not tokens.matches(row.token_hash if row is not None else None, token) or row is None:
        raise InvalidInvitationToken("the invitation token is not valid; open the link from your invitation again")
    if row.revoked_at is not None:
        raise InvalidInvitationToken("this invitation was withdrawn by the hiring team")
    if now >= row.expires_at:
        raise InvitationExpired(f"this invitation expired at {_iso(row.expires_at)}")
    return row


def assessment_of(session: Session, invitation: Invitation) -> Assessment:
    """The assessment an invitation is for (the invitation re-read: its clock may have changed)."""
    session.refresh(invitation)
    return session.get_one(Assessment, invitation.assessment_id)


def assessment_choice(session: Session, assessment: Assessment, slug: str) -> AssessmentProblem:
    """The assessment's entry for problem `slug`; ProblemNotInAssessment otherwise."""
    for choice in assessment_problems(session, assessment.id):
        if choice.problem == slug:
            return choice
    raise ProblemNotInAssessment(f"problem {slug!r} is not part of this assessment")


def _summaries(
    session: Session, bank: ProblemBank, assessment: Assessment, invitation: Invitation
) -> list[CandidateProblemSummary]:
    attempts = load_attempts(session, assessment.id, invitation.id)
    summaries = []
    for choice in assessment_problems(session, assessment.id):
        mine = [a for a in attempts if a.entry.problem == choice.problem]
        best = counted(mine, ScoringPolicy(assessment.scoring), choice.points)
        problem = choice_problem(bank, choice)
        summaries.append(
            CandidateProblemSummary(
                problem=choice.problem,
                title=problem.spec.title if problem else choice.problem,
                kind=problem.spec.kind if problem else Kind.CODE,
                points=choice.points,
                attempts_used=len(mine),
                attempts_left=max(0, assessment.max_attempts - len(mine)),
                score=best.points(choice.points) if best else None,
            )
        )
    return summaries


def overview(session: Session, bank: ProblemBank, invitation: Invitation, now: datetime) -> CandidateOverview:
    """The candidate's overview: the assessment, their clock, and each problem's attempts and score."""
    assessment = assessment_of(session, invitation)
    summaries = _summaries(session, bank, assessment, invitation)
    return CandidateOverview(
        assessment_id=assessment.id,
        title=assessment.title,
        description=assessment.description,
        candidate_name=invitation.candidate_name,
        state=clock.state_of(assessment, invitation, now),
        opens_at=assessment.opens_at,
        closes_at=assessment.closes_at,
        duration_s=assessment.duration_s,
        started_at=invitation.started_at,
        deadline_at=clock.ends_at(invitation),
        remaining_s=clock.remaining_s(invitation, now),
        now=now,
        feedback=feedback.level_at(assessment, now),
        scoring=ScoringPolicy(assessment.scoring),
        max_attempts=assessment.max_attempts,
        total_points=sum(s.points for s in summaries),
        problems=summaries,
        total_score=_total_score(summaries),
    )


def _total_score(summaries: list[CandidateProblemSummary]) -> float | None:
    scores = [s.score for s in summaries if s.score is not None]
    return round(sum(scores), 6) if scores else None


def _require_window(assessment: Assessment, now: datetime) -> None:
    if now < assessment.opens_at:
        raise OutsideWindow(f"the assessment opens at {_iso(assessment.opens_at)}; come back then")
    if now >= assessment.closes_at:
        raise OutsideWindow(f"the assessment closed at {_iso(assessment.closes_at)}")


def start(session: Session, bank: ProblemBank, invitation: Invitation, now: datetime) -> CandidateOverview:
    """Start the candidate's clock (within the window); starting again changes nothing."""
    assessment = assessment_of(session, invitation)
    if invitation.started_at is None:
        _require_window(assessment, now)
        # Conditional: two Start presses at once start the clock once.
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id, Invitation.started_at.is_(None))
            .values(started_at=now, deadline_at=clock.deadline_for(assessment, now))
        )
        session.commit()
    return overview(session, bank, invitation, now)


def finish(session: Session, bank: ProblemBank, invitation: Invitation, now: datetime) -> CandidateOverview:
    """End the candidate's time now (they are done); what they submitted is graded as usual."""
    assessment = assessment_of(session, invitation)
    if invitation.started_at is None:
        raise NotStarted("the assessment has not been started; there is nothing to finish")
    if clock.state_of(assessment, invitation, now) is not CandidateState.FINISHED:
        invitation.finished_at = now
        session.commit()
    return overview(session, bank, invitation, now)


def candidate_problem(
    session: Session,
    bank: ProblemBank,
    invitation: Invitation,
    slug: str,
    now: datetime,
    audience: Audience = Audience.CLI,
) -> CandidateProblem:
    """A problem's statement (as `audience` reads it), starter and public checks, a quiz's questions with
    their points scaled like the problem's; only after Start, so reading counts as time."""
    assessment = assessment_of(session, invitation)
    choice = assessment_choice(session, assessment, slug)
    if invitation.started_at is None:
        raise NotStarted("press Start first: problems are shown once your time runs")
    problem = choice_problem(bank, choice)
    if problem is None:
        raise ProblemNotFound(f"problem {slug!r} is no longer in the bank; tell the hiring team")
    summary = next(s for s in _summaries(session, bank, assessment, invitation) if s.problem == slug)
    detail = ProblemDetail.of(problem)
    questions = None
    if detail.questions is not None:
        questions = [
            q.model_copy(update={"points": feedback.scale(choice.points, q.points, problem.max_score) or 0.0})
            for q in detail.questions
        ]
    return CandidateProblem(
        **summary.model_dump(),
        statement=problem.statement(audience),
        starter=detail.starter,
        entrypoint=detail.entrypoint,
        limits=LimitsView(**detail.limits.model_dump()),
        public_checks=detail.public_checks,
        questions=questions,
        files=detail.files,
    )


def _check_readable(problem: Problem | None, source: str) -> None:
    """A quiz's answers file must parse, and a multi-file problem's text must hold exactly its files
    (InvalidSubmission otherwise, before it costs an attempt): graded, either scores 0, and with a quiz's
    score shown alone the candidate would never learn why."""
    if problem is not None and problem.quiz is not None:
        parse_answers(source)
    if problem is not None and problem.spec.files:
        bundle.unpack(source, problem.file_names)


def submit(
    session: Session,
    bank: ProblemBank,
    invitation: Invitation,
    body: CandidateSubmissionCreate,
    now: datetime,
    enqueue: Enqueue,
) -> CandidateSubmissionView:
    """Accept one attempt: the problem must be in the assessment, the candidate started, the window
    open, their time not up and an attempt left. The attempt is committed before this returns, so
    it counts even when grading ends after the deadline."""
    assessment = assessment_of(session, invitation)
    choice = assessment_choice(session, assessment, body.problem)
    code = intake.check_source(body.source.encode("utf-8"), bank.settings)
    _check_readable(choice_problem(bank, choice), body.source)
    if invitation.started_at is None:
        _require_window(assessment, now)
        raise NotStarted("press Start before submitting")
    _require_window(assessment, now)
    end = clock.ends_at(invitation)
    if end is not None and now >= end:
        if end == invitation.finished_at:
            # Ended by the candidate before their deadline (ends_at is the earlier of the two).
            raise TimeUp(f"you ended the assessment at {_iso(end)}; no more submissions are accepted")
        raise TimeUp(f"your time ended at {_iso(end)}; submissions after it are not accepted")
    if not assessment.compile_error_uses_attempt:
        problem = choice_problem(bank, choice)
        if problem is not None and problem.spec.kind is Kind.CODE:
            # Refused before an attempt is counted or anything queued: a typo costs no attempt.
            intake.refuse_compile_error(code, problem.file_names)
    for _ in range(SUBMIT_RACE_RETRIES):
        used = (
            session.scalar(
                select(func.count()).where(
                    AssessmentEntry.invitation_id == invitation.id, AssessmentEntry.problem == choice.problem
                )
            )
            or 0
        )
        if used >= assessment.max_attempts:
            raise AttemptsExhausted(f"all {assessment.max_attempts} attempts at {choice.problem!r} are used")
        entry = AssessmentEntry(
            id=uuid.uuid4().hex,
            assessment_id=assessment.id,
            invitation_id=invitation.id,
            problem=choice.problem,
            number=used + 1,
            submitted_at=now,
        )
        session.add(entry)
        submission = intake.stage(session, Source.CANDIDATE, choice.problem, code, choice.package_hash)
        session.add(EntryGrading(entry_id=entry.id, round=0, submission_id=submission.id, created_at=utcnow()))
        try:
            intake.commit(session, [submission], enqueue)
        except IntegrityError:
            # A simultaneous submission to the same problem took this attempt number: count again.
            session.rollback()
            continue
        return candidate_submission(session, bank, invitation, entry.id, now)
    raise AttemptsExhausted(f"too many simultaneous submissions to {choice.problem!r}; submit again")


def _entry_view(
    choice: AssessmentProblem, attempt: Attempt, problem: Problem | None, shown: feedback.Shown
) -> CandidateSubmissionView:
    """One attempt as `shown` (see candidate_level) lets the candidate see it."""
    level = shown.level
    row = attempt.current
    result = result_of(row) if row.status == SubmissionStatus.COMPLETED.value else None
    checks = None
    syntax = result.compile_error if result is not None else None
    if result is not None and syntax is None and level is not FeedbackLevel.SCORE_ONLY:
        checks = [feedback.check_view(c, level, choice.points, result.max_score, problem) for c in result.checks]
    verdict = Verdict(row.verdict) if row.verdict and level is not FeedbackLevel.SCORE_ONLY else None
    return CandidateSubmissionView(
        id=attempt.entry.id,
        problem=attempt.entry.problem,
        number=attempt.entry.number,
        submitted_at=attempt.entry.submitted_at,
        status=SubmissionStatus(row.status),
        feedback=level,
        verdict=verdict,
        score=attempt.points(choice.points),
        max_score=choice.points,
        checks=checks,
        withheld=shown.withheld,
        compile_error=syntax,
    )


def _level(
    assessment: Assessment,
    invitation: Invitation,
    attempts: list[Attempt],
    problem: Problem | None,
    slug: str,
    now: datetime,
) -> feedback.Shown:
    """candidate_level, given all the candidate's `attempts`. A quiz whose package is gone is still
    known by its checks' category."""
    mine = [a for a in attempts if a.entry.problem == slug]
    if problem is not None:
        quiz = problem.spec.kind is Kind.QUIZ
    else:
        results = [result_of(a.current) for a in mine]
        quiz = any(c.category == "quiz" for r in results if r is not None for c in r.checks)
    settled = feedback.quiz_settled(assessment, invitation, len(mine), now)
    return feedback.candidate_level(feedback.level_at(assessment, now), quiz=quiz, settled=settled)


def candidate_level(
    session: Session, invitation: Invitation, choice: AssessmentProblem, problem: Problem | None, now: datetime
) -> feedback.Shown:
    """The level the candidate sees their attempts at one problem at: the assessment's level in force,
    and for a quiz score only until the candidate can no longer submit it (judge.assessments.feedback)."""
    assessment = assessment_of(session, invitation)
    attempts = load_attempts(session, assessment.id, invitation.id)
    return _level(assessment, invitation, attempts, problem, choice.problem, now)


def candidate_submissions(
    session: Session, bank: ProblemBank, invitation: Invitation, now: datetime
) -> list[CandidateSubmissionView]:
    """The candidate's own submissions, newest first, as the feedback level shows them."""
    assessment = assessment_of(session, invitation)
    choices = {c.problem: c for c in assessment_problems(session, assessment.id)}
    attempts = sorted(
        load_attempts(session, assessment.id, invitation.id),
        key=lambda a: (a.entry.submitted_at, a.entry.number),
        reverse=True,
    )
    problems = {slug: choice_problem(bank, choice) for slug, choice in choices.items()}
    levels = {slug: _level(assessment, invitation, attempts, problem, slug, now) for slug, problem in problems.items()}
    return [
        _entry_view(choices[a.entry.problem], a, problems[a.entry.problem], levels[a.entry.problem])
        for a in attempts
        if a.entry.problem in choices
    ]


def candidate_attempt(session: Session, invitation: Invitation, entry_id: str) -> Attempt:
    """One of the candidate's own attempts; EntryNotFound for anyone else's."""
    for attempt in load_attempts(session, invitation.assessment_id, invitation.id):
        if attempt.entry.id == entry_id:
            return attempt
    raise EntryNotFound(f"no submission {entry_id!r} among yours")


def candidate_submission(
    session: Session, bank: ProblemBank, invitation: Invitation, entry_id: str, now: datetime
) -> CandidateSubmissionView:
    """One of the candidate's own submissions, as the feedback level shows it."""
    attempt = candidate_attempt(session, invitation, entry_id)
    assessment = assessment_of(session, invitation)
    choice = assessment_choice(session, assessment, attempt.entry.problem)
    problem = choice_problem(bank, choice)
    return _entry_view(choice, attempt, problem, candidate_level(session, invitation, choice, problem, now))


def starter_problem(session: Session, bank: ProblemBank, invitation: Invitation, slug: str) -> Problem:
    """The problem whose starter a candidate downloads: under the same rules as reading it
    (`candidate_problem`: in their assessment, after Start)."""
    assessment = assessment_of(session, invitation)
    choice = assessment_choice(session, assessment, slug)
    if invitation.started_at is None:
        raise NotStarted("press Start first: problems are shown once your time runs")
    problem = choice_problem(bank, choice)
    if problem is None:
        raise ProblemNotFound(f"problem {slug!r} is no longer in the bank; tell the hiring team")
    return problem
