"""/assessments (team and admin keys): create assessments, invite candidates, read reports, export,
rejudge; /practice-problems: the team's practice-only marks. Another team's assessment is a 404."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse

from judge.app.deps import DbSession, State, TeamCaller, viewer_of
from judge.app.errors import ProblemDetails, Responses
from judge.assessments import invitations, reports, service
from judge.assessments.schemas import (
    AssessmentCreate,
    AssessmentExport,
    AssessmentReport,
    AssessmentView,
    CandidateReport,
    InvitationBatch,
    InvitationCreate,
    InvitationIssued,
    InvitationView,
    RejudgeCreate,
    RejudgeView,
)
from judge.bank import ownership
from judge.problem import SLUG_PATTERN

router = APIRouter(tags=["assessments"])

ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    403: {"model": ProblemDetails, "description": "A candidate key."},
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}
NOT_FOUND: Responses = {404: {"model": ProblemDetails, "description": "No such assessment, or another team's."}}
INVALID: Responses = {
    422: {"model": ProblemDetails, "description": "Invalid body, or a request that cannot be done as asked."}
}
AssessmentId = Annotated[str, Path(max_length=32, description="The assessment's id.")]
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="A problem's slug.")]


@router.post(
    "/assessments",
    status_code=201,
    response_model=AssessmentView,
    summary="Create an assessment",
    description=(
        "Problems (code and quiz) with points, a window (opens_at, closes_at), each candidate's duration "
        "(counted from pressing Start, never past the close), attempts per problem, the feedback level "
        "candidates get while it runs (full, check_names, score_only) and the scoring policy (best, last). "
        "Problems must be public or in the team's private bank, and not marked practice-only by the team."
    ),
    responses={
        **ERRORS,
        **INVALID,
        404: {"model": ProblemDetails, "description": "A problem that does not exist (or another team's)."},
    },
)
def create_assessment(body: AssessmentCreate, session: DbSession, state: State, caller: TeamCaller) -> AssessmentView:
    """Create an assessment for the caller's team."""
    return service.create_assessment(session, state.bank, viewer_of(caller), caller.key_id, body, state.clock())


@router.get(
    "/assessments", response_model=list[AssessmentView], summary="List the team's assessments", responses=ERRORS
)
def list_assessments(session: DbSession, state: State, caller: TeamCaller) -> list[AssessmentView]:
    """Newest first; an admin key sees every team's."""
    return service.list_assessments(session, state.bank, viewer_of(caller))


@router.get(
    "/assessments/{assessment_id}",
    response_model=AssessmentView,
    summary="One assessment",
    responses={**ERRORS, **NOT_FOUND},
)
def get_assessment(assessment_id: AssessmentId, session: DbSession, state: State, caller: TeamCaller) -> AssessmentView:
    """One of the team's assessments."""
    return service.get_assessment(session, state.bank, viewer_of(caller), assessment_id)


@router.post(
    "/assessments/{assessment_id}/invitations",
    status_code=201,
    response_model=InvitationIssued,
    summary="Invite a candidate",
    description=(
        "Issues one unguessable token (only its hash is kept) and the invite link's path; both are shown "
        "only in this answer. The token expires at expires_at (default: the close plus a grace period to read results)."
    ),
    responses={**ERRORS, **NOT_FOUND, **INVALID},
)
def create_invitation(
    assessment_id: AssessmentId, body: InvitationCreate, session: DbSession, state: State, caller: TeamCaller
) -> InvitationIssued:
    """A new invitation with its token."""
    return service.invite(session, state.bank, viewer_of(caller), assessment_id, body, state.clock())


@router.get(
    "/assessments/{assessment_id}/invitations",
    response_model=list[InvitationView],
    summary="The assessment's invitations (without tokens)",
    responses={**ERRORS, **NOT_FOUND},
)
def list_invitations(
    assessment_id: AssessmentId, session: DbSession, state: State, caller: TeamCaller
) -> list[InvitationView]:
    """Every invitation, oldest first."""
    return service.list_invitations(session, viewer_of(caller), assessment_id, state.clock())


@router.delete(
    "/assessments/{assessment_id}/invitations/{invitation_id}",
    response_model=InvitationView,
    summary="Withdraw an invitation",
    description="Its token stops working at once; what the candidate submitted stays in the report.",
    responses={**ERRORS, **NOT_FOUND},
)
def revoke_invitation(
    assessment_id: AssessmentId, invitation_id: str, session: DbSession, state: State, caller: TeamCaller
) -> InvitationView:
    """Revoke one invitation (idempotent)."""
    return service.revoke_invitation(session, viewer_of(caller), assessment_id, invitation_id, state.clock())


@router.get(
    "/assessments/{assessment_id}/report",
    response_model=AssessmentReport,
    summary="Ranking, score distribution, similar pairs and rejudges",
    responses={**ERRORS, **NOT_FOUND},
)
def get_assessment_report(
    assessment_id: AssessmentId, session: DbSession, state: State, caller: TeamCaller
) -> AssessmentReport:
    """The assessment's report."""
    return reports.assessment_report(session, state.bank, viewer_of(caller), assessment_id, state.clock())


@router.get(
    "/assessments/{assessment_id}/report/candidates/{invitation_id}",
    response_model=CandidateReport,
    summary="One candidate in full",
    description="Score per problem under the policy, attempts, time used, verdicts, submitted code, integrity flags, similar pairs.",
    responses={**ERRORS, **NOT_FOUND},
)
def get_candidate_report(
    assessment_id: AssessmentId, invitation_id: str, session: DbSession, state: State, caller: TeamCaller
) -> CandidateReport:
    """One candidate's report."""
    return reports.candidate_report(session, state.bank, viewer_of(caller), assessment_id, invitation_id, state.clock())


@router.get(
    "/assessments/{assessment_id}/export",
    summary="Export the report as JSON or CSV",
    description="json: the report plus every candidate in full (code included); csv: the ranking, one line per candidate.",
    response_model=AssessmentExport,
    responses={
        **ERRORS,
        **NOT_FOUND,
        200: {"content": {"application/json": {}, "text/csv": {}}, "description": "The export."},
    },
)
def export_assessment(
    assessment_id: AssessmentId,
    session: DbSession,
    state: State,
    caller: TeamCaller,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv.")] = "json",
) -> Response:
    """The export, as an attachment."""
    full = reports.export(session, state.bank, viewer_of(caller), assessment_id, state.clock())
    disposition = {"Content-Disposition": f'attachment; filename="assessment-{assessment_id}.{format}"'}
    if format == "csv":
        return PlainTextResponse(reports.ranking_csv(full), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(full.model_dump_json(indent=2), media_type="application/json", headers=disposition)


@router.post(
    "/assessments/{assessment_id}/rejudge",
    status_code=202,
    response_model=RejudgeView,
    summary="Grade every submission again",
    description=(
        "After fixing a problem's checks: grades every submission of the assessment (or of `problem`) again "
        "from its stored source, as a new round; the latest grading counts. It grades with the package versions "
        "the assessment was created with; ask for `current_package` to grade (from then on) with the problem's "
        "current package. One round at a time: while a round "
        "of the assessment still has a grading queued or running, a new request is refused with 409 naming it. "
        "A round's gradings wait behind candidates' submissions (they are graded only when no other work waits) "
        "and do not count towards the queue limit of `POST /submissions`; instead a round is refused with 503 "
        "when its gradings plus the rejudge gradings already waiting (every team's) would exceed that limit "
        "(`JUDGE_QUEUE_LIMIT`): retry once they are graded, or rejudge one problem at a time."
    ),
    responses={
        **ERRORS,
        **NOT_FOUND,
        **INVALID,
        409: {"model": ProblemDetails, "description": "A rejudge round of this assessment is still grading."},
        503: {"model": ProblemDetails, "description": "Too many rejudge gradings would wait; see Retry-After."},
    },
)
def rejudge_assessment(
    assessment_id: AssessmentId, session: DbSession, state: State, caller: TeamCaller, body: RejudgeCreate | None = None
) -> RejudgeView:
    """Start a rejudge round."""
    return service.rejudge(
        session, state.bank, viewer_of(caller), caller.key_id, assessment_id, body or RejudgeCreate(), state.enqueue
    )


@router.get(
    "/assessments/{assessment_id}/rejudges",
    response_model=list[RejudgeView],
    summary="Rejudge rounds",
    responses={**ERRORS, **NOT_FOUND},
)
def list_rejudges(assessment_id: AssessmentId, session: DbSession, caller: TeamCaller) -> list[RejudgeView]:
    """Every rejudge round, oldest first, with its progress."""
    return service.list_rejudges(session, viewer_of(caller), assessment_id)


@router.get(
    "/practice-problems", response_model=list[str], summary="Problems the team marked practice-only", responses=ERRORS
)
def list_practice_problems(session: DbSession, caller: TeamCaller) -> list[str]:
    """The team's practice-only problems."""
    return ownership.practice_only(session, caller.team or "")


@router.put(
    "/practice-problems/{slug}",
    status_code=204,
    summary="Mark a public problem practice-only for the team",
    description="It stays open for practice over /submissions but cannot be put in the team's new assessments.",
    responses={**ERRORS, **INVALID, 404: {"model": ProblemDetails, "description": "Unknown problem."}},
)
def mark_practice_problem(slug: Slug, session: DbSession, state: State, caller: TeamCaller) -> Response:
    """Mark (idempotent)."""
    ownership.mark_practice_only(session, state.settings, caller.team or "", slug)
    return Response(status_code=204)


@router.delete(
    "/practice-problems/{slug}", status_code=204, summary="Make a problem usable in assessments again", responses=ERRORS
)
def unmark_practice_problem(slug: Slug, session: DbSession, caller: TeamCaller) -> Response:
    """Unmark (idempotent)."""
    ownership.unmark_practice_only(session, caller.team or "", slug)
    return Response(status_code=204)


@router.post(
    "/assessments/{assessment_id}/invitations/bulk",
    status_code=201,
    response_model=list[InvitationIssued],
    summary="Invite many candidates from CSV",
    description=(
        "CSV text with columns name and email (optional); a header row is optional. All or nothing: a bad line "
        "is a 422 naming every bad line, and a name or email already invited to this assessment (or repeated in "
        "the list) is a 409 naming them unless allow_duplicates is true. The tokens are shown only in this answer."
    ),
    responses={
        **ERRORS,
        **NOT_FOUND,
        **INVALID,
        409: {"model": ProblemDetails, "description": "Names or emails invited already; send allow_duplicates."},
    },
)
def create_invitations(
    assessment_id: AssessmentId, body: InvitationBatch, session: DbSession, state: State, caller: TeamCaller
) -> list[InvitationIssued]:
    """A new invitation per line of the list, with their tokens."""
    rows = invitations.parse_csv(body.csv)
    return invitations.invite_rows(
        session, state.bank, viewer_of(caller), assessment_id, rows, body.allow_duplicates, state.clock()
    )


@router.post(
    "/assessments/{assessment_id}/invitations/{invitation_id}/reissue",
    response_model=InvitationIssued,
    summary="Re-issue an invitation's link",
    description=(
        "A new token for the invitation; the old one stops working at once. The new token is shown only in this "
        "answer. Refused (422) for a withdrawn or expired invitation."
    ),
    responses={**ERRORS, **NOT_FOUND, **INVALID},
)
def reissue_invitation(
    assessment_id: AssessmentId, invitation_id: str, session: DbSession, state: State, caller: TeamCaller
) -> InvitationIssued:
    """The invitation with its new token."""
    return invitations.reissue(session, viewer_of(caller), assessment_id, invitation_id, state.clock())
