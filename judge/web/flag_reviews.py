"""The team's reviews of integrity flags from the candidate page: each flag's form (outcome and note) and its
"clear review" button, posted with the CSRF token and done by the same service functions as the API's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from judge.app.deps import DbSession, State, viewer_of
from judge.assessments import reports, reviews
from judge.assessments.flags import KEY_PATTERN, MAX_KEY_CHARS, MAX_NOTE_CHARS, FlagReviewCreate, anchor_of
from judge.assessments.reviews import Reviewer
from judge.web.deps import CsrfChecked, Member
from judge.web.render import page
from judge.web.team import AssessmentId, InvitationId

router = APIRouter(prefix="/team", include_in_schema=False)
FlagKey = Annotated[str, Path(pattern=KEY_PATTERN, max_length=MAX_KEY_CHARS)]


class RefusedReview(BaseModel):
    """A review the form could not save: shown again by its flag, as typed, with why."""

    key: str
    message: str
    note: str


def _back(assessment_id: str, invitation_id: str, key: str) -> RedirectResponse:
    return RedirectResponse(
        f"/team/assessments/{assessment_id}/candidates/{invitation_id}#{anchor_of(key)}", status_code=303
    )


@router.post("/assessments/{assessment_id}/candidates/{invitation_id}/flags/{key}/review", dependencies=[CsrfChecked])
def review(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    key: FlagKey,
    request: Request,
    state: State,
    session: DbSession,
    member: Member,
    outcome: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=4 * MAX_NOTE_CHARS)] = "",
) -> Response:
    """Save the review and go back to the flag; a refused one comes back on the page, by its flag, as typed."""
    caller = member.caller
    try:
        body = FlagReviewCreate.model_validate({"outcome": outcome, "note": note})
    except ValidationError as exc:
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        report = reports.candidate_report(
            session, state.bank, viewer_of(caller), assessment_id, invitation_id, state.clock()
        )
        refused = RefusedReview(key=key, message=message, note=note)
        context = {"member": member, "report": report, "refused": refused}
        return page(request, state.settings, "team/candidate.html", context, status_code=422)
    reviewer = Reviewer(viewer=viewer_of(caller), key_id=caller.key_id, name=caller.name)
    reviews.review_flag(session, state.bank, reviewer, assessment_id, invitation_id, key, body, state.clock())
    return _back(assessment_id, invitation_id, key)


@router.post(
    "/assessments/{assessment_id}/candidates/{invitation_id}/flags/{key}/review/clear", dependencies=[CsrfChecked]
)
def clear(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    key: FlagKey,
    state: State,
    session: DbSession,
    member: Member,
) -> Response:
    """Take the review back and go back to the flag."""
    reviews.clear_review(
        session, state.bank, viewer_of(member.caller), assessment_id, invitation_id, key, state.clock()
    )
    return _back(assessment_id, invitation_id, key)
