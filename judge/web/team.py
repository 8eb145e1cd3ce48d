"""The hiring team's pages: sign in, the assessments list, an assessment's dashboard and a candidate's detail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from judge.app.client import client_address
from judge.app.cookies import SESSION_COOKIE, secure_cookies
from judge.app.deps import DbSession, State, viewer_of
from judge.app.sessions import make_session, read_session, session_secret
from judge.assessments import comparisons, invitations, reports, service
from judge.assessments.errors import DuplicateInvitation
from judge.assessments.invitations import InvitationRow
from judge.assessments.schemas import MAX_BATCH_ROWS, InvitationCreate
from judge.problem import SLUG_PATTERN
from judge.storage import keys, team_sessions
from judge.storage.models import Role
from judge.web import flash
from judge.web.assessment_form import (
    FEEDBACK_HELP,
    POINTS_PREFIX,
    SCORING_HELP,
    AssessmentForm,
    blank_form,
    problem_options,
)
from judge.web.deps import CsrfChecked, Member, TeamMember, member_of
from judge.web.flash import IssuedLink
from judge.web.invite_forms import BulkForm, InviteForm
from judge.web.plot import Bin
from judge.web.render import page

router = APIRouter(prefix="/team", include_in_schema=False)
AssessmentId = Annotated[str, Path(pattern=r"^[0-9a-zA-Z_-]{1,64}$")]
InvitationId = Annotated[str, Path(pattern=r"^[0-9a-zA-Z_-]{1,64}$")]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another one."""
    if target and target.startswith("/team/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/team/assessments"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, state: State, next: Annotated[str | None, Query()] = None) -> Response:  # noqa: A002 - the query's name
    """The sign-in form: the team's API key."""
    return page(request, state.settings, "team/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[CsrfChecked])
def login(
    request: Request,
    state: State,
    session: DbSession,
    api_key: Annotated[str, Form(max_length=500)],
    next: Annotated[str | None, Form()] = None,  # noqa: A002
) -> Response:
    """Check the key and start a session: kept in the database, its token in a signed HttpOnly,
    SameSite=Strict cookie. A key that is not valid counts as a failed authentication of the client's
    address; once those are too many, 429."""
    address = client_address(request, state.settings)
    state.limits.admit(address)
    row = keys.authenticate(session, api_key.strip())
    error = None
    if row is None:
        state.limits.failed(address)
        error = "That API key is not valid (unknown, mistyped or revoked)."
    elif Role(row.role) not in (Role.ADMIN, Role.TEAM):
        error = "That is a candidate key; team pages need a team or admin key."
    if row is None or error is not None:
        return page(
            request, state.settings, "team/login.html", {"next": _safe_next(next), "error": error}, status_code=401
        )
    member = member_of(row)
    response = RedirectResponse(_safe_next(next), status_code=303)
    settings = state.settings
    token = team_sessions.start_session(
        session, member.caller.key_id, settings.service.session_max_age_s, state.clock()
    )
    cookie = make_session(session_secret(settings), token, settings.service.session_max_age_s)
    secure = secure_cookies(request, settings)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.service.session_max_age_s,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, state: State, session: DbSession, _member: Member) -> Response:
    """End the session, here and in the database: a copy of the cookie no longer signs anyone in."""
    token = read_session(session_secret(state.settings), request.cookies.get(SESSION_COOKIE))
    if token:
        team_sessions.end_session(session, token, state.clock())
    response = RedirectResponse("/team/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/assessments", response_class=HTMLResponse)
def assessments_page(request: Request, state: State, session: DbSession, member: Member) -> Response:
    """The team's assessments, newest first, and the form to create one."""
    return assessments_list(request, state, session, member, blank_form(state.clock()))


def assessments_list(
    request: Request, state: State, session: Session, member: TeamMember, form: AssessmentForm, status_code: int = 200
) -> Response:
    """The assessments page with `form` (blank, or as posted with its errors) in its new-assessment section."""
    viewer = viewer_of(member.caller)
    context = {
        "member": member,
        "assessments": service.list_assessments(session, state.bank, viewer),
        "now": state.clock(),
        "form": form,
        "options": problem_options(session, state.settings, viewer),
        "feedback_help": FEEDBACK_HELP,
        "scoring_help": SCORING_HELP,
        "points_prefix": POINTS_PREFIX,
    }
    return page(request, state.settings, "team/assessments.html", context, status_code=status_code)


@router.get("/assessments/{assessment_id}", response_class=HTMLResponse)
def dashboard(
    assessment_id: AssessmentId, request: Request, state: State, session: DbSession, member: Member
) -> Response:
    """An assessment's dashboard: ranking, score histogram, similar pairs, invitations; and, once, the link
    of an invitation just made or re-issued (carried over the redirect by flash)."""
    issued = flash.take(request, state.settings, assessment_id, state.clock())
    response = dashboard_page(request, state, session, member, assessment_id, issued=issued)
    if issued is not None:
        flash.forget(response, assessment_id)
        response.headers["Cache-Control"] = "no-store"
    return response


def dashboard_page(
    request: Request,
    state: State,
    session: Session,
    member: TeamMember,
    assessment_id: str,
    issued: IssuedLink | None = None,
    error: str | None = None,
    status_code: int = 200,
    rejudge_error: str | None = None,
    invite_form: InviteForm | None = None,
    bulk_form: BulkForm | None = None,
) -> Response:
    """The dashboard, with a just-issued invitation or a refused form (kept as typed) where there is one."""
    now = state.clock()
    viewer = viewer_of(member.caller)
    report = reports.assessment_report(session, state.bank, viewer, assessment_id, now)
    invitations = service.list_invitations(session, viewer, assessment_id, now)
    bins = [Bin(low=b.lower_percent, high=b.upper_percent, count=b.count) for b in report.distribution.buckets]
    context = {
        "member": member,
        "report": report,
        "invitations": invitations,
        "bins": bins,
        "issued": issued,
        "base_url": str(request.base_url).rstrip("/"),
        "error": error,
        "rejudge_error": rejudge_error,
        "invite_form": invite_form or InviteForm(),
        "bulk_form": bulk_form or BulkForm(),
        "max_batch_rows": MAX_BATCH_ROWS,
    }
    return page(request, state.settings, "team/dashboard.html", context, status_code=status_code)


@router.post("/assessments/{assessment_id}/invitations", dependencies=[CsrfChecked])
def invite(
    assessment_id: AssessmentId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
    candidate_name: Annotated[str, Form(max_length=200)],
    candidate_email: Annotated[str, Form(max_length=320)] = "",
    confirm_duplicate: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Invite one candidate, then back to the dashboard (a GET: reloading it invites nobody again), which
    shows the link once. A name or email already invited comes back to be confirmed."""
    try:
        body = InvitationCreate(candidate_name=candidate_name.strip(), candidate_email=candidate_email.strip() or None)
    except ValidationError as exc:
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        typed = InviteForm(candidate_name=candidate_name, candidate_email=candidate_email)
        return dashboard_page(
            request,
            state,
            session,
            member,
            assessment_id,
            error=f"invalid invitation: {message}",
            status_code=422,
            invite_form=typed,
        )
    viewer = viewer_of(member.caller)
    rows = [InvitationRow(invitation=body)]
    try:
        [made] = invitations.invite_rows(
            session, state.bank, viewer, assessment_id, rows, bool(confirm_duplicate), state.clock()
        )
    except DuplicateInvitation as exc:
        form = InviteForm(
            candidate_name=body.candidate_name, candidate_email=body.candidate_email or "", duplicates=exc.problems
        )
        return dashboard_page(request, state, session, member, assessment_id, invite_form=form, status_code=409)
    response = RedirectResponse(f"/team/assessments/{assessment_id}#issued", status_code=303)
    issued = IssuedLink(assessment_id=assessment_id, candidate_name=made.candidate_name, link=made.link)
    flash.remember(response, request, state.settings, issued, state.clock())
    return response


@router.get("/assessments/{assessment_id}/candidates/{invitation_id}", response_class=HTMLResponse)
def candidate_detail(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """One candidate: per-problem results, every attempt's code, every flag (code, similar pairs, matches
    with known code, the editor's events) with its review, and the code playback's summaries."""
    viewer = viewer_of(member.caller)
    report = reports.candidate_report(session, state.bank, viewer, assessment_id, invitation_id, state.clock())
    return page(request, state.settings, "team/candidate.html", {"member": member, "report": report})


@router.get("/assessments/{assessment_id}/export.{kind}")
def export(
    assessment_id: AssessmentId,
    kind: Annotated[str, Path(pattern="^(csv|json)$")],
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """The report as a download: the ranking as CSV, or everything (code included) as JSON."""
    now = state.clock()
    viewer = viewer_of(member.caller)
    if kind == "csv":
        body = reports.ranking_csv(reports.export(session, state.bank, viewer, assessment_id, now))
        media = "text/csv; charset=utf-8"
    else:
        body = reports.export(session, state.bank, viewer, assessment_id, now).model_dump_json(indent=2)
        media = "application/json"
    disposition = f'attachment; filename="assessment-{assessment_id}.{kind}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


@router.get("/assessments/{assessment_id}/similar/{problem}/{invitation_a}/{invitation_b}", response_class=HTMLResponse)
def comparison(
    assessment_id: AssessmentId,
    problem: Annotated[str, Path(pattern=SLUG_PATTERN)],
    invitation_a: InvitationId,
    invitation_b: InvitationId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """Two candidates' code for one problem side by side, the lines their similarity matched marked in both."""
    compared = comparisons.compare(
        session, state.bank, viewer_of(member.caller), assessment_id, problem, invitation_a, invitation_b
    )
    return page(request, state.settings, "team/comparison.html", {"member": member, "comparison": compared})
