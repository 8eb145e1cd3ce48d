"""Taking in a submission: check it, store it (committed before the answer), then queue it."""

from __future__ import annotations

import hashlib
import re

from judge.app.auth import Caller
from judge.app.deps import viewer_of
from judge.app.errors import Conflict, Forbidden, PayloadTooLarge, ServiceUnavailable, Unprocessable
from judge.app.state import ServiceState
from judge.assessments import banks
from judge.errors import CallbackRefused, ProblemNotFound
from judge.grading import decode_source
from judge.problem import SLUG_PATTERN
from judge.queue import callbacks
from judge.queue.dispatch import dispatch
from judge.storage import submissions
from judge.storage.models import Role, Submission
from judge.storage.submissions import NewSubmission

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"


def request_hash(problem: str, source: bytes, callback_url: str | None) -> str:
    """A fingerprint of what was asked, to tell a retry from a different request with a reused key."""
    digest = hashlib.sha256()
    for part in (problem.encode(), source, (callback_url or "").encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def accept(
    state: ServiceState,
    caller: Caller,
    *,
    problem: str,
    source: bytes,
    callback_url: str | None,
    idempotency_key: str | None,
) -> tuple[Submission, bool]:
    """Store a gradable submission and queue it; (row, created). A repeated Idempotency-Key with the
    same request gives the earlier submission; with a different request, 409."""
    settings = state.settings
    if len(source) > settings.max_source_bytes:
        raise PayloadTooLarge(f"submission is {len(source)} bytes; the limit is {settings.max_source_bytes}")
    decode_source(source, settings)
    if not re.fullmatch(SLUG_PATTERN, problem):
        raise Unprocessable("problem: must be a problem slug (lowercase letters, digits and dashes)")
    with state.sessions() as session:
        visible = banks.visible_directories(session, settings, viewer_of(caller))
    if problem not in visible:
        raise ProblemNotFound(f"no problem {problem!r}; GET /api/v1/problems lists them")
    if callback_url is not None:
        if caller.role is Role.CANDIDATE:
            raise Forbidden("callback_url needs a team or admin key")
        if settings.callback_secret is None:
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
    fingerprint = request_hash(problem, source, callback_url)
    with state.sessions() as session:
        if idempotency_key is not None:
            earlier = submissions.find_by_idempotency_key(session, caller.key_id, idempotency_key)
            if earlier is not None:
                return _replay(earlier, fingerprint, idempotency_key)
        if submissions.queue_depth(session) >= settings.queue_limit:
            raise ServiceUnavailable(
                f"the grading queue is full ({settings.queue_limit} submissions waiting); retry later",
                settings.queue_retry_after_s,
            )
        row, created = submissions.create(
            session,
            NewSubmission(
                problem=problem,
                source=source,
                owner_key_id=caller.key_id,
                idempotency_key=idempotency_key,
                request_hash=fingerprint,
                callback_url=callback_url,
            ),
        )
    if not created:
        return _replay(row, fingerprint, idempotency_key or "")
    # The row is committed: if the broker is down now, the redispatch loop queues it later.
    dispatch(state.dispatcher, state.sessions, row.id)
    return row, True


def _replay(earlier: Submission, fingerprint: str, idempotency_key: str) -> tuple[Submission, bool]:
    if earlier.request_hash != fingerprint:
        raise Conflict(
            f"Idempotency-Key {idempotency_key!r} was already used for a different submission ({earlier.id})"
        )
    return earlier, False
