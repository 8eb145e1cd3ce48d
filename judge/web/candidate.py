"""The candidate's pages: the invitation landing page, the overview with the clock, a problem (code
editor or quiz), and a submission's live progress and result.

The invitation link (/invite/TOKEN) shows the invitation; its Continue button (a form with the CSRF
token) puts the token in an HttpOnly, SameSite=Strict cookie, the one the candidate API also reads.
Opening the link sets no cookie: a link followed from another site (an e-mail, or an attacker's page)
is sent without this site's Strict cookies, so only the posted form can see whether this browser is
already taking another invitation, and it asks before replacing that one. Every page asks
judge.assessments.service; the assessment's rules (window, clock, attempts, feedback level) live
there, not here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from judge import bundle, intake
from judge.app.cookies import INVITATION_COOKIE, secure_cookies
from judge.app.deps import DbSession, State, get_state, open_invitation
from judge.app.errors import JUDGE_ERROR_STATUS, Unauthorized
from judge.app.sessions import invitation_csrf_token, session_secret
from judge.app.starters import StarterFormat, StarterFormatQuery, starter_response
from judge.assessments import drafts, service
from judge.assessments.errors import AssessmentError
from judge.assessments.progress import progress_plan
from judge.assessments.schemas import CandidateProblem, CandidateSubmissionCreate
from judge.errors import CompileError, InvalidSubmission, JudgeError
from judge.problem import SLUG_PATTERN, Kind
from judge.statement import Audience
from judge.storage.models import Invitation
from judge.syntax import SyntaxProblem
from judge.web.deps import CsrfChecked
from judge.web.editor import error_line
from judge.web.render import page

router = APIRouter(include_in_schema=False)

Slug = Annotated[str, Path(pattern=SLUG_PATTERN)]
EntryId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
#: Generous for any invitation token, tiny for anything else.
MAX_TOKEN_CHARS = 200


def _invitation(request: Request, session: Session, now: datetime) -> Invitation:
    """The invitation of the browser's invitation cookie, within its rate limit; 401 without a valid one."""
    token = request.cookies.get(INVITATION_COOKIE)
    if not token:
        raise Unauthorized("open the link from your invitation to take the assessment")
    return open_invitation(request, get_state(request), session, token, now)


def _page(request: Request, state: State, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page of a candidate taking the assessment, with the X-CSRF-Token their invitation cookie needs
    for the candidate API (in a meta tag, for scripts)."""
    api_csrf = invitation_csrf_token(session_secret(state.settings), request.cookies[INVITATION_COOKIE])
    return page(request, state.settings, template, {**context, "invitation_csrf": api_csrf}, status_code=status_code)


def _other_invitation(request: Request, session: Session, invitation: Invitation, now: datetime) -> Invitation | None:
    """The live invitation this browser is taking already, when it is not `invitation`."""
    current = request.cookies.get(INVITATION_COOKIE)
    if not current:
        return None
    try:
        other = service.authenticate(session, current, now)
    except AssessmentError:
        return None  # withdrawn, expired or garbage: nothing to lose by replacing it
    return None if other.id == invitation.id else other


def _switch_page(
    request: Request,
    state: State,
    session: Session,
    token: str,
    invitation: Invitation,
    other: Invitation,
    now: datetime,
) -> Response:
    """Ask before this browser leaves the invitation it is taking for another one."""
    context = {
        "token": token,
        "view": service.overview(session, state.bank, invitation, now),
        "current": service.overview(session, state.bank, other, now),
    }
    return page(request, state.settings, "candidate/switch.html", context)


def _status_of(exc: JudgeError) -> int:
    return next((int(s) for cls, s in JUDGE_ERROR_STATUS if isinstance(exc, cls)), 400)


InvitationToken = Annotated[str, Path(max_length=MAX_TOKEN_CHARS)]


@router.get("/invite/{token}", response_class=HTMLResponse)
def landing(token: InvitationToken, request: Request, state: State, session: DbSession) -> Response:
    """The invitation link: who invites whom to what, and the rules, with Continue; or, when this browser
    is visibly taking another invitation, the question whether to switch."""
    now = state.clock()
    invitation = open_invitation(request, state, session, token, now)
    other = _other_invitation(request, session, invitation, now)
    if other is not None:
        return _switch_page(request, state, session, token, invitation, other, now)
    view = service.overview(session, state.bank, invitation, now)
    return page(request, state.settings, "candidate/landing.html", {"view": view, "token": token})


@router.post("/invite/{token}", dependencies=[CsrfChecked])
def continue_invitation(
    token: InvitationToken,
    request: Request,
    state: State,
    session: DbSession,
    switch: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Continue: keep the token in the cookie and go on to the overview; asks first when that would
    replace another live invitation of this browser (unless this is the answer to that question)."""
    now = state.clock()
    invitation = open_invitation(request, state, session, token, now)
    other = _other_invitation(request, session, invitation, now)
    if other is not None and switch != "yes":
        return _switch_page(request, state, session, token, invitation, other, now)
    response = RedirectResponse("/take", status_code=303)
    max_age = max(1, int((invitation.expires_at - now).total_seconds()))
    secure = secure_cookies(request, state.settings)
    response.set_cookie(
        INVITATION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    return response


@router.get("/take", response_class=HTMLResponse)
def overview(request: Request, state: State, session: DbSession) -> Response:
    """The overview: the clock, Start (or Finish), and each problem with attempts and score."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    drafts.submit_when_time_up(session, state.bank, now, state.enqueue, invitation.id)
    view = service.overview(session, state.bank, invitation, now)
    submissions = service.candidate_submissions(session, state.bank, invitation, now) if view.started_at else []
    context = {
        "view": view,
        "submissions": submissions,
        "error": None,
        "auto": drafts.auto_submitted(session, invitation),
    }
    return _page(request, state, "candidate/overview.html", context)


@router.post("/take/start", dependencies=[CsrfChecked])
def start(request: Request, state: State, session: DbSession) -> Response:
    """Start the candidate's clock."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    service.start(session, state.bank, invitation, now)
    return RedirectResponse("/take", status_code=303)


@router.post("/take/finish", dependencies=[CsrfChecked])
def finish(request: Request, state: State, session: DbSession) -> Response:
    """End the candidate's time early."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    service.finish(session, state.bank, invitation, now)
    return RedirectResponse("/take", status_code=303)


def _problem_page(
    request: Request,
    state: State,
    session: Session,
    invitation: Invitation,
    problem: CandidateProblem,
    now: datetime,
    *,
    source: str,
    chosen: dict[str, list[str]] | None = None,
    error: str | None = None,
    syntax_error: SyntaxProblem | None = None,
    status_code: int = 200,
) -> Response:
    view = service.overview(session, state.bank, invitation, now)
    mine = [
        s for s in service.candidate_submissions(session, state.bank, invitation, now) if s.problem == problem.problem
    ]
    context: dict[str, Any] = {
        "view": view,
        "problem": problem,
        "source": source,
        "chosen": chosen or {},
        "submissions": mine,
        "error": error,
        "error_line": syntax_error.line if syntax_error is not None else error_line(mine, problem.entrypoint),
        "syntax_error": syntax_error,
        "files": _editor_files(problem, source) if len(problem.files) > 1 else {},
    }
    template = "candidate/quiz.html" if problem.kind is Kind.QUIZ else "candidate/problem.html"
    return _page(request, state, template, context, status_code=status_code)


def _editor_files(problem: CandidateProblem, source: str) -> dict[str, str]:
    """One editor tab's text per file of a multi-file problem; text that is not a bundle of them goes
    to the entrypoint's tab, so that nothing the candidate wrote is lost."""
    try:
        return bundle.unpack(source, problem.files)
    except InvalidSubmission:
        return {name: source if name == problem.entrypoint else "" for name in problem.files}


@router.get("/take/problems/{slug}", response_class=HTMLResponse)
def problem_page(slug: Slug, request: Request, state: State, session: DbSession) -> Response:
    """A problem: the statement, the starter in the editor (or the quiz's questions), earlier attempts."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    problem = service.candidate_problem(session, state.bank, invitation, slug, now, Audience.WEB)
    restored = drafts.restore(session, state.bank, invitation, slug)
    return _problem_page(request, state, session, invitation, problem, now, source=restored.source)


def _quiz_answers(problem: CandidateProblem, form: FormData) -> tuple[str, dict[str, list[str]]]:
    """The answers file of a quiz form: one field per question, q_<id>, one value per chosen option."""
    questions = problem.questions or []
    chosen: dict[str, list[str]] = {}
    for question in questions:
        picked = [v for v in form.getlist(f"q_{question.id}") if isinstance(v, str) and v in question.options]
        if picked:
            chosen[question.id] = picked
    answers = {
        qid: (picked if next(q for q in questions if q.id == qid).kind == "multiple" else picked[0])
        for qid, picked in chosen.items()
    }
    return json.dumps({"answers": answers}), chosen


@router.post("/take/problems/{slug}", dependencies=[CsrfChecked])
async def submit(slug: Slug, request: Request, state: State, session: DbSession) -> Response:
    """Submit the editor's code or the quiz's answers; on to the submission's live progress. A refusal
    (time up, no attempts left) shows the page again with the reason, the code still in the editor."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    problem = service.candidate_problem(session, state.bank, invitation, slug, now, Audience.WEB)
    form = await request.form(max_fields=200)
    chosen = None
    if problem.kind is Kind.QUIZ:
        source, chosen = _quiz_answers(problem, form)
    elif len(problem.files) > 1:
        # One textarea per file (tabs.js shows them as tabs); stored as the problem's bundle.
        fields = {name: form.get(f"file:{name}") for name in problem.files}
        texts = {name: value for name, value in fields.items() if isinstance(value, str)}
        try:
            source = bundle.pack(texts, problem.files)
        except InvalidSubmission as exc:
            source = "".join(f"{bundle.marker(n)}\n{t}\n" for n, t in texts.items())
            return _problem_page(
                request, state, session, invitation, problem, now, source=source, error=str(exc), status_code=422
            )
    else:
        field = form.get("source")
        source = field if isinstance(field, str) else ""
    try:
        accepted = service.submit(
            session,
            state.bank,
            invitation,
            CandidateSubmissionCreate(problem=slug, source=source),
            now,
            state.enqueue,
        )
    except (AssessmentError, JudgeError) as exc:
        session.rollback()
        return _problem_page(
            request,
            state,
            session,
            invitation,
            problem,
            now,
            source=source,
            chosen=chosen,
            error=str(exc),
            syntax_error=exc.problem if isinstance(exc, CompileError) else None,
            status_code=_status_of(exc),
        )
    return RedirectResponse(f"/take/submissions/{accepted.id}", status_code=303)


@router.get("/take/submissions/{entry_id}", response_class=HTMLResponse)
def submission_page(entry_id: EntryId, request: Request, state: State, session: DbSession) -> Response:
    """One submission: live per-check progress while it is graded, then the result."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    submission = service.candidate_submission(session, state.bank, invitation, entry_id, now)
    view = service.overview(session, state.bank, invitation, now)
    problem = next(p for p in view.problems if p.problem == submission.problem)
    source = drafts.submitted_source(session, invitation, entry_id)
    plan = progress_plan(session, state.bank, invitation, entry_id, now)
    context = {"view": view, "submission": submission, "problem": problem, "source": source, "plan": plan}
    return _page(request, state, "candidate/submission.html", context)


@router.get("/take/submissions/{entry_id}/result", response_class=HTMLResponse)
def submission_result(entry_id: EntryId, request: Request, state: State, session: DbSession) -> Response:
    """The result section alone, which the progress script swaps in when grading ends."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    submission = service.candidate_submission(session, state.bank, invitation, entry_id, now)
    return page(request, state.settings, "candidate/result.html", {"submission": submission})


@router.get("/take/problems/{slug}/starter")
def starter_download(
    slug: Slug, request: Request, state: State, session: DbSession, format: StarterFormatQuery = StarterFormat.PY
) -> Response:
    """The problem's starter as a file: .py, .ipynb or, for several files, .zip."""
    invitation = _invitation(request, session, state.clock())
    return starter_response(service.starter_problem(session, state.bank, invitation, slug), format)


@router.post("/take/problems/{slug}/load", dependencies=[CsrfChecked])
async def load_file(slug: Slug, request: Request, state: State, session: DbSession) -> Response:
    """Load an uploaded notebook (or a zip of a problem's files) into the editor, converted as a
    submission is (judge.bundle); nothing is submitted. A refusal shows the page with the reason."""
    now = state.clock()
    invitation = _invitation(request, session, now)
    problem = service.candidate_problem(session, state.bank, invitation, slug, now, Audience.WEB)
    limits = state.settings.limits
    form = await request.form(max_files=1, max_fields=5)
    upload = form.get("upload")
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidSubmission("choose a file to load")
        data = await upload.read(limits.max_upload_bytes + 1)
        converted = bundle.upload_source(
            upload.filename,
            data,
            problem.files,
            max_source_bytes=limits.max_source_bytes,
            max_upload_bytes=limits.max_upload_bytes,
        )
        text = intake.check_source(converted, state.settings).data.decode("utf-8")
    except InvalidSubmission as exc:
        kept = drafts.restore(session, state.bank, invitation, slug).source
        return _problem_page(
            request, state, session, invitation, problem, now, source=kept, error=str(exc), status_code=422
        )
    return _problem_page(request, state, session, invitation, problem, now, source=text)
