"""/problems: the bank (statement, starter, limits, public checks) and uploading packages (teams)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, File, Path, Response, UploadFile
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from judge.api.auth import Caller
from judge.api.deps import CurrentCaller, DbSession, State, TeamCaller, viewer_of
from judge.api.errors import PayloadTooLarge
from judge.api.schemas import ProblemAccepted, ProblemDetail, ProblemDetails, ProblemSummary
from judge.assessments import banks
from judge.assessments.banks import Viewer
from judge.errors import InvalidProblem
from judge.problem import SLUG_PATTERN, Kind, Problem, load_problem
from judge.settings import Settings
from judge.storage.models import Role
from judge.storage.packages import accept_package

router = APIRouter(prefix="/problems", tags=["problems"])
log = logging.getLogger(__name__)

ERRORS = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}
NOT_FOUND = {404: {"model": ProblemDetails, "description": "Unknown problem."}}
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The problem's slug.")]


def _problems(session: Session, settings: Settings, viewer: Viewer) -> list[Problem]:
    """Every loadable problem the viewer may see; a broken package is logged and left out rather than hiding the rest."""
    found = []
    for slug, directory in sorted(banks.visible_directories(session, settings, viewer).items()):
        try:
            found.append(load_problem(directory))
        except InvalidProblem as exc:
            log.warning("problem %s left out: %s", slug, exc)
    return found


def _problem(session: Session, settings: Settings, caller: Caller, slug: str) -> Problem:
    return banks.visible_problem(session, settings, viewer_of(caller), slug)


@router.get("", response_model=list[ProblemSummary], summary="List problems", description="Every problem in the bank, by slug.", responses=ERRORS)
def list_problems(state: State, session: DbSession, caller: CurrentCaller) -> list[ProblemSummary]:
    """The bank's problems: the public ones and the caller's team's private ones."""
    return [ProblemSummary.of(p) for p in _problems(session, state.settings, viewer_of(caller))]


@router.get(
    "/{slug}",
    response_model=ProblemDetail,
    summary="A problem's statement, starter, limits and public checks",
    description="Everything a candidate may see; never hidden checks' source, the reference or mutants.",
    responses={**ERRORS, **NOT_FOUND},
)
def get_problem(slug: Slug, state: State, session: DbSession, caller: CurrentCaller) -> ProblemDetail:
    """One problem's public detail."""
    return ProblemDetail.of(_problem(session, state.settings, caller, slug))


@router.get(
    "/{slug}/starter",
    response_class=PlainTextResponse,
    summary="Download a problem's starter file",
    description="The stub to start from (Python, or JSON for a quiz), as an attachment named like the file to submit.",
    responses={**ERRORS, **NOT_FOUND, 200: {"content": {"text/x-python": {}, "application/json": {}}, "description": "The starter file."}},
)
def get_starter(slug: Slug, state: State, session: DbSession, caller: CurrentCaller) -> Response:
    """The starter file."""
    problem = _problem(session, state.settings, caller, slug)
    media = "application/json" if problem.spec.kind is Kind.QUIZ else "text/x-python; charset=utf-8"
    disposition = f'attachment; filename="{problem.spec.entrypoint}"'
    return Response(problem.starter(), media_type=media, headers={"Content-Disposition": disposition})


@router.post(
    "",
    status_code=201,
    response_model=ProblemAccepted,
    summary="Upload a problem package (team and admin keys)",
    description=(
        "A zip or tar (optionally gzip/bz2/xz) archive of one problem package, with problem.toml at its top "
        "level or in a single top-level directory. It is unpacked safely (links, absolute paths and `..` are "
        "rejected; size and file-count caps apply) and accepted only if it validates like "
        "`judge problems validate`: the reference scores full marks twice identically, the starter 0, and "
        "every mutant loses a check. Validation grades several times, so the answer can take minutes. "
        "201 for a new problem, 200 when it replaced an earlier upload of the same slug (a new version: "
        "assessments created before keep grading with the version they were created with). Only the "
        "slug's owner replaces it: the uploading team, or for a public problem an admin key."
    ),
    responses={
        **ERRORS,
        200: {"model": ProblemAccepted, "description": "Replaced an earlier upload."},
        403: {"model": ProblemDetails, "description": "A candidate key."},
        409: {"model": ProblemDetails, "description": "The slug is a built-in problem, or someone else's upload (public, or another team's)."},
        413: {"model": ProblemDetails, "description": "Over the package size or file-count caps."},
        422: {"model": ProblemDetails, "description": "Not a safe archive, not a valid package, or failed validation."},
    },
)
async def upload_problem(
    response: Response,
    state: State,
    caller: TeamCaller,
    package: Annotated[UploadFile, File(description="The zip or tar archive.")],
) -> ProblemAccepted:
    """Validate and install an uploaded problem package; a team key's upload is private to its team."""
    settings = state.settings
    data = await package.read(settings.max_package_bytes + 1)
    if len(data) > settings.max_package_bytes:
        raise PayloadTooLarge(f"the package is over the {settings.max_package_bytes}-byte limit")
    # An admin's upload joins the public bank; a team's stays in its private bank.
    team = caller.team if caller.role is Role.TEAM else None
    sandbox = await run_in_threadpool(state.sandbox)
    claim = banks.upload_claim(state.sessions, settings, team, caller.key_id)
    accepted = await run_in_threadpool(accept_package, data, settings, sandbox, claim)
    with state.sessions() as session:
        await run_in_threadpool(banks.record_upload, session, accepted.problem.slug, team, caller.key_id)
    if accepted.replaced:
        response.status_code = 200
    return ProblemAccepted(
        slug=accepted.problem.slug,
        replaced=accepted.replaced,
        validation=accepted.report,
        problem=ProblemSummary.of(accepted.problem),
    )

