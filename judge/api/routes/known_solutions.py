"""/known-solutions (team and admin keys): the team's corpus of known solutions per problem, which every
counted submission is compared with. Another team's known solution is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from judge.app.deps import DbSession, State, TeamCaller, viewer_of
from judge.app.errors import ProblemDetails, Responses
from judge.assessments import known_solutions
from judge.assessments.known_solutions import KnownSolutionCreate, KnownSolutionView
from judge.problem import SLUG_PATTERN

router = APIRouter(tags=["known solutions"])

ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    403: {"model": ProblemDetails, "description": "A candidate key."},
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}
KnownId = Annotated[str, Path(max_length=32, description="The known solution's id.")]


@router.post(
    "/known-solutions",
    status_code=201,
    response_model=KnownSolutionView,
    summary="Add a known solution",
    description=(
        "A solution to a code problem the team can see that candidates' code should not resemble: an answer "
        "found online, an assistant's answer. At most the submission size limit; it must compile (for a problem "
        "of several files, the bundle text a submission would be). Every counted submission is compared with it."
    ),
    responses={
        **ERRORS,
        404: {"model": ProblemDetails, "description": "No such problem (or another team's)."},
        413: {"model": ProblemDetails, "description": "Over the submission size limit."},
        422: {"model": ProblemDetails, "description": "Not Python that compiles, empty, or a quiz's problem."},
    },
)
def add_known_solution(
    body: KnownSolutionCreate, session: DbSession, state: State, caller: TeamCaller
) -> KnownSolutionView:
    """Add a known solution to the caller's team's corpus."""
    return known_solutions.add(session, state.settings, viewer_of(caller), body, caller.key_id, state.clock())


@router.get(
    "/known-solutions",
    response_model=list[KnownSolutionView],
    summary="List the team's known solutions",
    responses=ERRORS,
)
def list_known_solutions(
    session: DbSession,
    caller: TeamCaller,
    problem: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="Only this problem's.")] = None,
) -> list[KnownSolutionView]:
    """The caller's team's known solutions, by problem, oldest first."""
    return known_solutions.listed(session, viewer_of(caller), problem)


@router.delete(
    "/known-solutions/{known_id}",
    status_code=204,
    summary="Delete a known solution",
    responses={**ERRORS, 404: {"model": ProblemDetails, "description": "No such known solution, or another team's."}},
)
def delete_known_solution(known_id: KnownId, session: DbSession, caller: TeamCaller) -> Response:
    """Remove one of the team's known solutions; submissions are no longer compared with it."""
    known_solutions.remove(session, viewer_of(caller), known_id)
    return Response(status_code=204)
