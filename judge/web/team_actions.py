"""What a hiring team does from its pages besides reading: create an assessment, rejudge one, and
withdraw an invitation (after a confirmation page, so it works without JavaScript).

Each action is a posted form with the CSRF token, done by the same service function as the API's
route; a refusal comes back as the page with the service's message next to the field concerned.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from judge.app.deps import DbSession, State, viewer_of
from judge.assessments import invitations, service
from judge.assessments.errors import (
    DuplicateInvitation,
    InvalidAssessment,
    InvalidInvitationList,
    ProblemNotInAssessment,
    ProblemNotUsable,
    RejudgeInProgress,
    RejudgeQueueFull,
)
from judge.assessments.schemas import MAX_BATCH_CHARS, RejudgeCreate
from judge.errors import ProblemNotFound
from judge.web import flash
from judge.web.assessment_form import AssessmentForm, field_named_in, humanize, read_form, to_model
from judge.web.deps import CsrfChecked, Member
from judge.web.flash import IssuedLink
from judge.web.invite_forms import BulkForm
from judge.web.render import page
from judge.web.team import AssessmentId, InvitationId, assessments_list, dashboard_page

router = APIRouter(prefix="/team", include_in_schema=False)
#: A refused rejudge is shown next to its form, with the status the API answers it with.
REJUDGE_REFUSALS: dict[type[Exception], int] = {InvalidAssessment: 422, RejudgeInProgress: 409, RejudgeQueueFull: 503}


async def posted_form(request: Request) -> FormData:
    """The posted form (already read, and cached, by the CSRF check)."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


@router.post("/assessments", dependencies=[CsrfChecked])
def create_assessment(request: Request, state: State, session: DbSession, member: Member, posted: Posted) -> Response:
    """Create an assessment from the form; a refused form comes back filled in, each message by its field."""
    form = read_form(posted)
    made = to_model(form, state.clock())
    if isinstance(made, AssessmentForm):
        return assessments_list(request, state, session, member, made, status_code=422)
    try:
        view = service.create_assessment(
            session, state.bank, viewer_of(member.caller), member.caller.key_id, made, state.clock()
        )
    except (ProblemNotFound, ProblemNotUsable) as exc:
        return assessments_list(request, state, session, member, form.refused("problems", str(exc)), status_code=422)
    except InvalidAssessment as exc:
        return assessments_list(
            request, state, session, member, form.refused(field_named_in(str(exc)), humanize(str(exc))), status_code=422
        )
    return RedirectResponse(f"/team/assessments/{view.id}?created=1", status_code=303)


@router.post("/assessments/{assessment_id}/rejudges", dependencies=[CsrfChecked])
def rejudge(
    assessment_id: AssessmentId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
    problem: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Grade the assessment's submissions (all, or one problem's) again; back to the dashboard's rounds."""
    try:
        body = RejudgeCreate(problem=problem.strip() or None)
    except ValidationError:
        raise ProblemNotInAssessment(f"problem {problem!r} is not part of this assessment") from None
    viewer = viewer_of(member.caller)
    try:
        started = service.rejudge(session, state.bank, viewer, member.caller.key_id, assessment_id, body, state.enqueue)
    except tuple(REJUDGE_REFUSALS) as exc:
        return dashboard_page(
            request,
            state,
            session,
            member,
            assessment_id,
            rejudge_error=str(exc),
            status_code=REJUDGE_REFUSALS[type(exc)],
        )
    return RedirectResponse(f"/team/assessments/{assessment_id}?rejudge={started.round}#rejudges", status_code=303)


@router.get("/assessments/{assessment_id}/rejudges", response_class=HTMLResponse)
def rejudge_rounds(
    assessment_id: AssessmentId, request: Request, state: State, session: DbSession, member: Member
) -> Response:
    """The rounds table alone, cheap to fetch (no report): what rejudges.js refreshes the dashboard with."""
    rounds = service.list_rejudges(session, viewer_of(member.caller), assessment_id)
    return page(request, state.settings, "team/rejudge_rounds.html", {"rounds": rounds, "assessment_id": assessment_id})


@router.get("/assessments/{assessment_id}/invitations/{invitation_id}/withdraw", response_class=HTMLResponse)
def confirm_withdrawal(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """Ask before withdrawing: a page with the consequences and one button, no script needed."""
    viewer = viewer_of(member.caller)
    assessment, row = service.team_invitation(session, viewer, assessment_id, invitation_id)
    context = {
        "member": member,
        "assessment": service.assessment_view(session, state.bank, assessment),
        "invitation": service.invitation_view(assessment, row, state.clock()),
    }
    return page(request, state.settings, "team/withdraw.html", context)


@router.post("/assessments/{assessment_id}/invitations/{invitation_id}/withdraw", dependencies=[CsrfChecked])
def withdraw(
    assessment_id: AssessmentId, invitation_id: InvitationId, state: State, session: DbSession, member: Member
) -> Response:
    """Withdraw the invitation (its link stops working at once; what was submitted stays)."""
    service.revoke_invitation(session, viewer_of(member.caller), assessment_id, invitation_id, state.clock())
    return RedirectResponse(f"/team/assessments/{assessment_id}?withdrawn={invitation_id}#invitations", status_code=303)


@router.post("/assessments/{assessment_id}/invitations/{invitation_id}/reissue", dependencies=[CsrfChecked])
def reissue(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """A new link for the invitation (the old one stops working at once), shown once on the dashboard."""
    made = invitations.reissue(session, viewer_of(member.caller), assessment_id, invitation_id, state.clock())
    response = RedirectResponse(f"/team/assessments/{assessment_id}#issued", status_code=303)
    issued = IssuedLink(assessment_id=assessment_id, candidate_name=made.candidate_name, link=made.link, reissued=True)
    flash.remember(response, request, state.settings, issued, state.clock())
    return response


@router.post("/assessments/{assessment_id}/invitations/bulk", dependencies=[CsrfChecked])
def invite_many(
    assessment_id: AssessmentId, request: Request, state: State, session: DbSession, member: Member, posted: Posted
) -> Response:
    """Invite every candidate of a pasted or uploaded CSV list and answer with their links as a CSV
    download, the only copy of them; a list with bad lines, or with names already invited and not
    confirmed, comes back on the dashboard with each line's problem and the list as sent."""
    upload = posted.get("csv_file")
    pasted = posted.get("csv")
    text = pasted if isinstance(pasted, str) else ""
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            text = invitations.decode_upload(upload.file.read(MAX_BATCH_CHARS * 4 + 1))
        rows = invitations.parse_csv(text)
        made = invitations.invite_rows(
            session,
            state.bank,
            viewer_of(member.caller),
            assessment_id,
            rows,
            bool(posted.get("confirm_duplicate")),
            state.clock(),
        )
    except InvalidInvitationList as exc:
        form = BulkForm(csv=text, errors=exc.problems)
        return dashboard_page(request, state, session, member, assessment_id, bulk_form=form, status_code=422)
    except DuplicateInvitation as exc:
        form = BulkForm(csv=text, duplicates=exc.problems)
        return dashboard_page(request, state, session, member, assessment_id, bulk_form=form, status_code=409)
    body = invitations.links_csv(made, str(request.base_url).rstrip("/"))
    disposition = f'attachment; filename="invitations-{assessment_id}.csv"'
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
