"""/assessments/{id}/candidates/{id}/flags/{key}/review (team and admin keys): mark one of a candidate's
integrity flags dismissed or confirmed with a note, or take that back. Another team's assessment is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from judge.app.deps import DbSession, State, TeamCaller, viewer_of
from judge.app.errors import ProblemDetails, Responses
from judge.assessments import reviews
from judge.assessments.flags import KEY_PATTERN, MAX_KEY_CHARS, MAX_NOTE_CHARS, FlagReviewCreate, ReviewableFlag
from judge.assessments.reviews import Reviewer

router = APIRouter(tags=["assessments"])

ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    403: {"model": ProblemDetails, "description": "A candidate key."},
    404: {
        "model": ProblemDetails,
        "description": "No such assessment or candidate (or another team's), or no current flag with that key.",
    },
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}
AssessmentId = Annotated[str, Path(max_length=32, description="The assessment's id.")]
InvitationId = Annotated[str, Path(max_length=32, description="The candidate's invitation id.")]
FlagKey = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN,
        max_length=MAX_KEY_CHARS,
        description="The flag's key, as the candidate's report lists it (e.g. `ast:kl-divergence:gc:3`).",
    ),
]
REVIEW_PATH = "/assessments/{assessment_id}/candidates/{invitation_id}/flags/{key}/review"


@router.put(
    REVIEW_PATH,
    response_model=ReviewableFlag,
    summary="Review one of a candidate's flags",
    description=(
        f"Mark the flag dismissed or confirmed, with a note (at most {MAX_NOTE_CHARS} characters); a new review "
        "replaces the one before. The key must be one of the candidate's current flags (see the candidate's "
        "report): flags are recomputed with every report, and a key that is not there now is a 404."
    ),
    responses={**ERRORS, 422: {"model": ProblemDetails, "description": "Invalid body (say, a note too long)."}},
)
def review_flag(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    key: FlagKey,
    body: FlagReviewCreate,
    session: DbSession,
    state: State,
    caller: TeamCaller,
) -> ReviewableFlag:
    """The flag with its new review."""
    reviewer = Reviewer(viewer=viewer_of(caller), key_id=caller.key_id, name=caller.name)
    return reviews.review_flag(session, state.bank, reviewer, assessment_id, invitation_id, key, body, state.clock())


@router.delete(
    REVIEW_PATH,
    response_model=ReviewableFlag,
    summary="Take back the review of one of a candidate's flags",
    description="The flag is unreviewed again (idempotent); a key that is not a current flag is a 404.",
    responses=ERRORS,
)
def clear_flag_review(
    assessment_id: AssessmentId,
    invitation_id: InvitationId,
    key: FlagKey,
    session: DbSession,
    state: State,
    caller: TeamCaller,
) -> ReviewableFlag:
    """The flag, without a review."""
    return reviews.clear_review(
        session, state.bank, viewer_of(caller), assessment_id, invitation_id, key, state.clock()
    )
