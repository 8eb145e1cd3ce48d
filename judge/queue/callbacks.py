"""Result callbacks: the submission's JSON POSTed to its callback_url, signed with HMAC-SHA256.

Headers: `X-Judge-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the callback
secret>`, `X-Judge-Delivery` (the submission id) and `X-Judge-Attempt`. A receiver recomputes the
HMAC over the raw body, compares in constant time and rejects stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

from judge.settings import Settings
from judge.storage.models import Submission


def payload(row: Submission) -> bytes:
    """The body of a callback: exactly what GET /submissions/{id} answers."""
    from judge.api.schemas import SubmissionView

    return SubmissionView.of(row).model_dump_json().encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Judge-Signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, max_age_s: float = 300.0) -> bool:
    """Whether `header` is a valid, fresh signature of `body` (what a receiver does)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > max_age_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def post(url: str, body: bytes, settings: Settings, *, attempt: int, delivery_id: str) -> str | None:
    """Deliver once; None on a 2xx answer, else why it failed."""
    if settings.callback_secret is None:
        return "the server has no callback secret (JUDGE_CALLBACK_SECRET)"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "judge-callback/1",
        "X-Judge-Signature": signature(settings.callback_secret.get_secret_value(), int(time.time()), body),
        "X-Judge-Delivery": delivery_id,
        "X-Judge-Attempt": str(attempt),
    }
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=settings.callback_timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= answer.status_code < 300:
        return None
    return f"the receiver answered {answer.status_code}"
