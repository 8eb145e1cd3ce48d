"""/submissions: submit, read (optionally long-polling), list, and stream check events."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from judge import bundle, intake
from judge.api.event_stream import Progress, SubmissionCheckEvent, progress_events, stream_responses
from judge.api.schemas import SubmissionAccepted, SubmissionCreate, SubmissionPage
from judge.app.auth import Caller
from judge.app.deps import CurrentCaller, DbSession, State, viewer_of
from judge.app.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ProblemDetails,
    Responses,
    Unprocessable,
    UnsupportedMediaType,
)
from judge.app.state import ServiceState
from judge.bank import ownership
from judge.errors import CallbackRefused, ProblemNotFound, SourceTooLarge
from judge.problem import SLUG_PATTERN, load_problem
from judge.queue import callbacks
from judge.storage import submissions
from judge.storage.models import Role, Submission
from judge.storage.submissions import FINISHED, NewSubmission
from judge.views import SubmissionView, submission_links

router = APIRouter(prefix="/submissions", tags=["submissions"])

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"

ERRORS: Responses = {
    401: {"model": ProblemDetails, "description": "No valid API key."},
    429: {"model": ProblemDetails, "description": "Over the key's rate limit; see Retry-After."},
}
NOT_FOUND: Responses = {
    404: {"model": ProblemDetails, "description": "No such submission, or one this key may not read (another team's)."}
}

MULTIPART_SCHEMA = {
    "type": "object",
    "required": ["problem", "file"],
    "properties": {
        "problem": {"type": "string", "description": "The problem's slug."},
        "file": {"type": "string", "format": "binary", "description": "The submission file."},
        "callback_url": {
            "type": "string",
            "format": "uri",
            "description": "Where to POST the result (team and admin keys).",
        },
    },
}


async def _read_submission(request: Request) -> SubmissionCreate | tuple[str, bytes, str, str | None]:
    """The body as JSON (SubmissionCreate) or multipart (problem, file bytes, file name, callback_url)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            return SubmissionCreate.model_validate_json(await request.body())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise Unprocessable(f"invalid submission: {where}: {first['msg']}") from None
    if content_type == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10)
        upload, problem, callback = form.get("file"), form.get("problem"), form.get("callback_url")
        if upload is None or isinstance(upload, str):
            raise Unprocessable("invalid submission: file: a submission file is required")
        if not isinstance(problem, str) or not problem:
            raise Unprocessable("invalid submission: problem: a problem slug is required")
        if callback is not None and not isinstance(callback, str):
            raise Unprocessable("invalid submission: callback_url: must be text")
        if callback:
            try:
                SubmissionCreate(problem=problem, source="", callback_url=callback)
            except ValidationError:
                raise Unprocessable("invalid submission: callback_url: not a valid http(s) URL") from None
        return problem, await upload.read(), upload.filename or "", callback or None
    raise UnsupportedMediaType("send the submission as application/json or multipart/form-data")


@router.post(
    "",
    status_code=202,
    response_model=SubmissionAccepted,
    summary="Submit a solution for grading",
    description=(
        "Stores the submission (committed before the answer) and queues it. The answer is 202 with the "
        "submission's id and a Location to poll. Send JSON `{problem, source, callback_url?}` or "
        "multipart/form-data with `problem`, `file` and optional `callback_url`: a `.py` file, a Jupyter notebook "
        "(`.ipynb`: its code cells in order; shell and magic lines are refused) or, for a problem of several "
        "files, a `.zip` holding exactly those files. With an `Idempotency-Key` "
        "header, repeating the same request returns the first submission instead of a new one."
    ),
    responses={
        **ERRORS,
        403: {"model": ProblemDetails, "description": "callback_url with a candidate key."},
        404: {"model": ProblemDetails, "description": "Unknown problem."},
        409: {"model": ProblemDetails, "description": "Idempotency-Key reused for a different request."},
        413: {"model": ProblemDetails, "description": "Submission over the size limit."},
        415: {"model": ProblemDetails, "description": "Neither JSON nor multipart."},
        422: {"model": ProblemDetails, "description": "Invalid body, or a source that is not UTF-8."},
        503: {"model": ProblemDetails, "description": "The queue is full; see Retry-After."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionCreate"}},
                "multipart/form-data": {"schema": MULTIPART_SCHEMA},
            },
        }
    },
)
async def create_submission(
    request: Request,
    response: Response,
    state: State,
    caller: CurrentCaller,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Makes retrying this request safe: same key, same submission."),
    ] = None,
) -> SubmissionAccepted:
    """Submit a solution; 202 with its id and Location."""
    body = await _read_submission(request)
    if isinstance(body, SubmissionCreate):
        problem, source, filename, callback = (
            body.problem,
            body.source.encode("utf-8"),
            "",
            str(body.callback_url) if body.callback_url else None,
        )
    else:
        problem, source, filename, callback = body
    row, created = await run_in_threadpool(
        _accept,
        state,
        caller,
        problem=problem,
        source=source,
        filename=filename,
        callback_url=callback,
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = submission_links(row.id).self
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return SubmissionAccepted(
        id=row.id, status=row.status, problem=row.problem, created_at=row.created_at, links=submission_links(row.id)
    )


def request_hash(problem: str, source: bytes, callback_url: str | None) -> str:
    """A fingerprint of what was asked, to tell a retry from a different request with a reused key."""
    digest = hashlib.sha256()
    for part in (problem.encode(), source, (callback_url or "").encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _accept(
    state: ServiceState,
    caller: Caller,
    *,
    problem: str,
    source: bytes,
    filename: str,
    callback_url: str | None,
    idempotency_key: str | None,
) -> tuple[Submission, bool]:
    """Check what only this route takes (a problem the key sees, callback_url, Idempotency-Key), then
    hand the submission to the intake; (row, created). An uploaded notebook or zip (`filename`) is
    converted to the source stored (judge.bundle). A repeated Idempotency-Key with the same request
    gives the earlier submission, even with the queue full; with a different request, 409."""
    settings = state.settings
    if len(source) > max(settings.limits.max_source_bytes, settings.limits.max_upload_bytes):
        raise PayloadTooLarge(f"submission is {len(source)} bytes; the limit is {settings.limits.max_source_bytes}")
    if not re.fullmatch(SLUG_PATTERN, problem):
        raise Unprocessable("problem: must be a problem slug (lowercase letters, digits and dashes)")
    with state.sessions() as session:
        visible = ownership.visible_directories(session, settings, viewer_of(caller))
    if problem not in visible:
        raise ProblemNotFound(f"no problem {problem!r}; GET /api/v1/problems lists them")
    names = load_problem(visible[problem]).file_names
    try:
        code = intake.check_source(
            bundle.upload_source(
                filename,
                source,
                names,
                max_source_bytes=settings.limits.max_source_bytes,
                max_upload_bytes=settings.limits.max_upload_bytes,
            ),
            settings,
        )
    except SourceTooLarge as exc:
        # Here the source is the request's payload; elsewhere an over-long source is an invalid field (422).
        raise PayloadTooLarge(str(exc)) from None
    # A problem of several files takes them bundled; refused now rather than scored 0 by the grader.
    bundle.unpack(code.data.decode("utf-8"), names)
    if callback_url is not None:
        if caller.role is Role.CANDIDATE:
            raise Forbidden("callback_url needs a team or admin key")
        if settings.callbacks.secret is None:
            raise Unprocessable(
                "callback_url: callbacks are disabled because the server has no callback secret (JUDGE_CALLBACK_SECRET)"
            )
        # Checked again at each delivery (DNS answers change); refusing now tells the team at once.
        try:
            callbacks.destination(callback_url, settings)
        except CallbackRefused as exc:
            raise Unprocessable(f"callback_url: {exc}") from None
    if idempotency_key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
        raise Unprocessable("Idempotency-Key: 1 to 200 printable ASCII characters without spaces")
    fingerprint = request_hash(problem, code.data, callback_url)
    new = NewSubmission(
        problem=problem,
        source=code.data,
        owner_key_id=caller.key_id,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
        callback_url=callback_url,
    )
    with state.sessions() as session:
        if idempotency_key is not None:
            earlier = submissions.find_by_idempotency_key(session, caller.key_id, idempotency_key)
            if earlier is not None:
                return _replay(earlier, fingerprint, idempotency_key)
        row, created = intake.accept(session, settings, new, state.enqueue)
    if not created:
        return _replay(row, fingerprint, idempotency_key or "")
    return row, True


def _replay(earlier: Submission, fingerprint: str, idempotency_key: str) -> tuple[Submission, bool]:
    if earlier.request_hash != fingerprint:
        raise Conflict(
            f"Idempotency-Key {idempotency_key!r} was already used for a different submission ({earlier.id})"
        )
    return earlier, False


def _load(state: ServiceState, caller: Caller, submission_id: str) -> Submission:
    with state.sessions() as session:
        return _readable(session, caller, submission_id)


def _readable(session: Session, caller: Caller, submission_id: str) -> Submission:
    # Another team's submission answers as an unknown one: ids tell nothing about other teams.
    row = submissions.get_readable(session, caller.reader, submission_id)
    if row is None:
        raise NotFound(f"no submission {submission_id!r}")
    return row


@router.get(
    "",
    response_model=SubmissionPage,
    summary="List submissions",
    description=(
        "Newest first. A candidate key sees only its own submissions; a team key those made by any key of its "
        "team and the gradings of its team's assessments, never another team's; an admin key every submission."
    ),
    responses=ERRORS,
)
def list_submissions(
    session: DbSession,
    caller: CurrentCaller,
    limit: Annotated[int, Query(ge=1, le=200, description="Page size.")] = 50,
    offset: Annotated[int, Query(ge=0, description="Submissions to skip.")] = 0,
) -> SubmissionPage:
    """A page of submissions."""
    rows = submissions.list_recent(session, caller.reader, limit, offset)
    return SubmissionPage(items=[SubmissionView.of(r) for r in rows], limit=limit, offset=offset)


@router.get(
    "/{submission_id}",
    response_model=SubmissionView,
    summary="A submission's status and result",
    description=(
        "Status is queued, running, completed or failed; once completed, the result holds every check. "
        "With `?wait=S` the answer waits up to S seconds (capped by the server) for the submission to finish."
    ),
    responses={**ERRORS, **NOT_FOUND},
)
async def get_submission(
    submission_id: str,
    state: State,
    caller: CurrentCaller,
    wait: Annotated[float, Query(ge=0, description="Seconds to wait for the submission to finish (long poll).")] = 0,
) -> SubmissionView:
    """One submission, optionally waiting for it to finish."""
    deadline = time.monotonic() + min(wait, state.settings.service.max_wait_s)
    while True:
        row = await run_in_threadpool(_load, state, caller, submission_id)
        if row.status in FINISHED or time.monotonic() >= deadline:
            return SubmissionView.of(row)
        await asyncio.sleep(min(state.settings.service.poll_interval_s, max(0.0, deadline - time.monotonic())))


def _events(state: ServiceState, caller: Caller, submission_id: str, after_id: int) -> AsyncIterator[str]:
    def poll(after: int) -> Progress:
        with state.sessions() as session:
            row = _readable(session, caller, submission_id)
            checks = [
                (
                    check.id,
                    json.dumps({"attempt": check.attempt, **submissions.check_of(check).model_dump(mode="json")}),
                )
                for check in submissions.checks_after(session, submission_id, after)
            ]
            return Progress(
                checks=checks, result=SubmissionView.of(row).model_dump_json() if row.status in FINISHED else None
            )

    return progress_events(poll, after_id, state.settings)


@router.get(
    "/{submission_id}/events",
    summary="Stream a submission's checks as server-sent events",
    description=(
        "text/event-stream: one `check` event per finished check (data: the check's result and the "
        "grading attempt; id: a cursor), then one `result` event with the submission as GET returns it, "
        "and the stream ends. Reconnect with `Last-Event-ID` to resume after the last event received. "
        "A regraded submission (after a worker died) streams its checks again, with the new attempt number."
    ),
    response_class=StreamingResponse,
    responses={
        **ERRORS,
        **NOT_FOUND,
        **stream_responses((SubmissionCheckEvent,), SubmissionView),
    },
)
async def stream_submission_events(
    submission_id: str,
    state: State,
    caller: CurrentCaller,
    last_event_id: Annotated[int, Header(alias="Last-Event-ID", description="Resume after this event id.")] = 0,
) -> StreamingResponse:
    """Server-sent events of one submission."""
    await run_in_threadpool(_load, state, caller, submission_id)
    return StreamingResponse(
        _events(state, caller, submission_id, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
