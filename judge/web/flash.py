"""The link of a just-made (or re-issued) invitation, carried across the redirect that follows the
form (post/redirect/get) and shown once.

The link holds the candidate's secret, so it never goes into a URL (where history, logs and Referer
headers would keep it): it rides in a short-lived cookie signed with the session secret (a forged or
stale one is ignored), HttpOnly and SameSite=Strict, scoped to the assessment's page, and the page that
shows it deletes it, so a reload shows the page without it and invites nobody.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from fastapi import Request, Response
from pydantic import BaseModel, ValidationError

from judge.app.cookies import ISSUED_COOKIE, secure_cookies
from judge.app.sessions import session_secret
from judge.settings import Settings

#: Long enough for the redirect to be followed on a slow connection; the page deletes it at once anyway.
ISSUED_MAX_AGE_S = 120


class IssuedLink(BaseModel):
    """What the dashboard shows once: whose link it is, the link's path, and whether it replaced an older one."""

    assessment_id: str
    candidate_name: str
    link: str
    reissued: bool = False
    expires: float = 0.0


def _path(assessment_id: str) -> str:
    return f"/team/assessments/{assessment_id}"


def _sign(secret: bytes, payload: bytes) -> str:
    digest = hmac.new(secret, b"issued\0" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def remember(response: Response, request: Request, settings: Settings, issued: IssuedLink, now: datetime) -> None:
    """Have the browser carry `issued` to the assessment's page (the next request there shows it)."""
    stamped = issued.model_copy(update={"expires": now.timestamp() + ISSUED_MAX_AGE_S})
    payload = base64.urlsafe_b64encode(stamped.model_dump_json().encode()).decode()
    response.set_cookie(
        ISSUED_COOKIE,
        f"{payload}.{_sign(session_secret(settings), payload.encode())}",
        max_age=ISSUED_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, settings),
        path=_path(issued.assessment_id),
    )


def take(request: Request, settings: Settings, assessment_id: str, now: datetime) -> IssuedLink | None:
    """The link the browser carries for this assessment's page, if it is genuine, fresh and for this page."""
    value = request.cookies.get(ISSUED_COOKIE)
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(signature, _sign(session_secret(settings), payload.encode())):
        return None
    try:
        issued = IssuedLink.model_validate(json.loads(base64.urlsafe_b64decode(payload.encode())))
    except (ValueError, ValidationError):
        return None
    if issued.assessment_id != assessment_id or issued.expires < now.timestamp():
        return None
    return issued


def forget(response: Response, assessment_id: str) -> None:
    """Delete the carried link: it is shown once."""
    response.delete_cookie(ISSUED_COOKIE, path=_path(assessment_id))
