"""/problems: the bank (statement, starter, limits, public checks) and uploading packages (teams)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, File, Path, Response, UploadFile
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from judge.api.schemas import UploadQueued, UploadView, upload_links
from judge.app.auth import Caller
from judge.app.deps import CurrentCaller, DbSession, State, TeamCaller, viewer_of
from judge.app.errors import Forbidden, NotFound, PayloadTooLarge, ProblemDetails, RateLimited, Responses
from judge.app.starters import StarterFormat, StarterFormatQuery, starter_response
from judge.app.state import ServiceState
from judge.bank import ownership
from judge.bank.ownership import Viewer
from judge.bank.packages import precheck
from judge.errors import InvalidProblem
from judge.problem import SLUG_PATTERN, Problem, load_problem
from judge.queue.dispatch import dispatch_upload
from judge.settings import Settings
from judge.storage import uploads
from judge.storage.models import Role, UploadStatus
from judge.views import ProblemDetail, ProblemSummary

router = APIRouter(prefix="/problems", tags=["problems"])
log = logging.getLogger(__name__)

ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}
NOT_FOUND: Responses = {404: {"model": ProblemDetails, "description": "Unknown problem."}}
Slug = Annotated[str, Path(pattern=SLUG_PATTERN, description="The problem's slug.")]


def _problems(session: Session, settings: Settings, viewer: Viewer) -> list[Problem]:
    """Every loadable problem the viewer may see; a broken package is logged and left out rather than hiding the rest."""
    found = []
    for slug, directory in sorted(ownership.visible_directories(session, settings, viewer).items()):
        try:
            found.append(load_problem(directory))
        except InvalidProblem as exc:
            log.warning("problem %s left out: %s", slug, exc)
    return found


def _problem(session: Session, settings: Settings, caller: Caller, slug: str) -> Problem:
    return ownership.visible_problem(session, settings, viewer_of(caller), slug)


@router.get(
    "",
    response_model=list[ProblemSummary],
    summary="List problems",
    description="Every problem in the bank, by slug.",
    responses=ERRORS,
)
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
    description=(
        "The stub to start from, as an attachment named like the file to submit: `format=py` (the default; "
        "JSON for a quiz, and for a problem of several files every file under its `# ==== file: NAME ====` "
        "line), `format=ipynb` (a Jupyter notebook; one-file code problems) or `format=zip` (each file)."
    ),
    responses={
        **ERRORS,
        **NOT_FOUND,
        200: {
            "content": {
                "text/x-python": {},
                "application/json": {},
                "application/x-ipynb+json": {},
                "application/zip": {},
            },
            "description": "The starter file.",
        },
        422: {"model": ProblemDetails, "description": "A format this problem's starter does not come in."},
    },
)
def get_problem_starter(
    slug: Slug, state: State, session: DbSession, caller: CurrentCaller, format: StarterFormatQuery = StarterFormat.PY
) -> Response:
    """The starter file, in the asked format."""
    return starter_response(_problem(session, state.settings, caller, slug), format)


UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The upload's id.")]


@router.get(
    "/uploads/{upload_id}",
    response_model=UploadView,
    summary="An upload's status and validation report (team and admin keys)",
    description=(
        "Poll after POST /problems until the status is accepted, rejected (`error` says what is wrong with the "
        "package, as a 422 would) or failed (the judge could not validate it; upload it again later). "
        "A team sees its own uploads, an admin every upload."
    ),
    responses={
        **ERRORS,
        403: {"model": ProblemDetails, "description": "A candidate key."},
        404: {"model": ProblemDetails, "description": "No such upload, or another team's."},
    },
)
def get_problem_upload(upload_id: UploadId, session: DbSession, caller: TeamCaller) -> UploadView:
    """One upload, if the caller's team made it (any, for an admin)."""
    row = uploads.get(session, upload_id)
    if row is None or (caller.role is not Role.ADMIN and row.team != caller.team):
        raise NotFound(f"no upload {upload_id!r}")
    return UploadView.of(row)


@router.post(
    "",
    status_code=202,
    response_model=UploadQueued,
    summary="Upload a problem package (team and admin keys)",
    description=(
        "A zip or tar (optionally gzip/bz2/xz) archive of one problem package, with problem.toml at its top "
        "level or in a single top-level directory. What needs no grading is checked at once: it is unpacked "
        "safely (links, absolute paths and `..` are rejected; size and file-count caps apply), problem.toml "
        "must declare a slug that is not built in nor someone else's (another team's; for a team key, an admin's "
        "public upload), and the package must load. Then it is "
        "queued for validation like `judge problems validate` (the reference scores full marks twice "
        "identically, the starter 0, and every mutant loses a check), which grades several times and takes "
        "minutes: 202 with a Location to poll (GET /problems/uploads/{id}). A team's upload is private to "
        "it; an admin's joins the public bank. Each accepted package is a new immutable version: assessments "
        "created before keep grading with the version they were created with. At most `max_uploads_per_team` uploads of a team (admins: of "
        "the public bank) wait or validate at once."
    ),
    responses={
        **ERRORS,
        202: {
            "description": "Queued for validation; poll the Location.",
            "headers": {"Location": {"description": "The upload's status URL.", "schema": {"type": "string"}}},
        },
        403: {
            "model": ProblemDetails,
            "description": "A candidate key, or the key of a team named 'public' (the name stands for the public bank).",
        },
        409: {
            "model": ProblemDetails,
            "description": "The slug is a built-in problem, another team's, or (for a team key) a public upload.",
        },
        413: {"model": ProblemDetails, "description": "Over the package size or file-count caps."},
        422: {
            "model": ProblemDetails,
            "description": "Not a safe archive, no problem.toml or slug, or not a loadable package.",
        },
        429: {
            "model": ProblemDetails,
            "description": "Over the key's rate limit, or the team's uploads in validation are at the cap; see Retry-After.",
        },
    },
)
async def upload_problem(
    response: Response,
    state: State,
    caller: TeamCaller,
    package: Annotated[UploadFile, File(description="The zip or tar archive.")],
) -> UploadQueued:
    """Check what needs no grading, store the package and queue its validation."""
    settings = state.settings
    data = await package.read(settings.uploads.max_package_bytes + 1)
    if len(data) > settings.uploads.max_package_bytes:
        raise PayloadTooLarge(f"the package is over the {settings.uploads.max_package_bytes}-byte limit")
    owner = _owner(caller)
    # ownership knows an admin's upload, which joins the public bank, as team None.
    team = None if owner == uploads.PUBLIC else owner
    with state.sessions() as session:
        # Refused before unpacking, too; uploads.create counts again, safely against racing requests.
        if await run_in_threadpool(uploads.unfinished_of, session, owner) >= settings.uploads.max_per_team:
            raise _over_cap(settings)
    slug = await run_in_threadpool(precheck, data, settings, lambda slug: _claim(state, team, slug))
    with state.sessions() as session:
        row = await run_in_threadpool(
            uploads.create, session, owner, caller.key_id, data, slug, settings.uploads.max_per_team
        )
        if row is None:
            raise _over_cap(settings)
        queued = UploadQueued(
            id=row.id, status=UploadStatus(row.status), slug=slug, created_at=row.created_at, links=upload_links(row)
        )
    await run_in_threadpool(dispatch_upload, state.dispatcher, state.sessions, queued.id)
    response.headers["Location"] = queued.links.self
    return queued


def _over_cap(settings: Settings) -> RateLimited:
    return RateLimited(
        f"{settings.uploads.max_per_team} uploads of this team are already waiting for or in validation; "
        "poll them (GET /problems/uploads/{id}) and upload again once one is decided",
        settings.queue.retry_after_s,
    )


def _owner(caller: Caller) -> str:
    """Whose upload it is: the caller's team, or "public" for an admin's (it joins the public bank)."""
    if caller.role is Role.ADMIN:
        return uploads.PUBLIC
    if caller.team == uploads.PUBLIC:
        # An upload owned by "public" is an admin's, installed in the public bank.
        raise Forbidden(f"a team named {uploads.PUBLIC!r} cannot upload problems: the name stands for the public bank")
    # A team key without a team acts as its own team (judge.storage.keys.team_of), so this is never the id.
    return caller.team or caller.key_id


def _claim(state: ServiceState, team: str | None, slug: str) -> None:
    """Refuse at once an upload by `team` over a slug it does not own (ProblemConflict); the slug is
    claimed by the validation job, which gives the claim up should the package be refused."""
    with state.sessions() as session:
        ownership.check_upload(session, state.settings, slug, team)
