"""Browser sessions of team members and CSRF tokens, signed with the server's session secret.

A team member signs in with the team's API key; the browser then holds a signed, HttpOnly,
SameSite=Strict cookie holding a random session token (never the key), whose session is kept in the
database (judge.storage.team_sessions) and checked on every request, so logout and revoking the key
end it. Forms carry a CSRF token: the HMAC of a random per-browser cookie (double submit), so a page on
another site cannot post a form as the user. The candidate API, when the invitation cookie is what
authenticates, wants the HMAC of that cookie in the X-CSRF-Token header for the same reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path

from judge.settings import Settings

CSRF_FIELD = "csrf_token"
SECRET_FILE = "session-secret"
#: The header a candidate page's script sends its invitation CSRF token in.
CSRF_HEADER = "X-CSRF-Token"


def session_secret(settings: Settings) -> bytes:
    """The configured secret, or one made once and kept in data_dir (shared by every process on it)."""
    if settings.service.session_secret is not None:
        return settings.service.session_secret.get_secret_value().encode()
    path = Path(settings.storage.data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; read theirs
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _sign(secret: bytes, purpose: str, message: bytes) -> str:
    digest = hmac.new(secret, purpose.encode() + b"\0" + message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_session(secret: bytes, token: str, max_age_s: int) -> str:
    """A cookie value holding the session `token`, valid for `max_age_s` seconds."""
    payload = base64.urlsafe_b64encode(json.dumps({"k": token, "exp": int(time.time()) + max_age_s}).encode()).decode()
    return f"{payload}.{_sign(secret, 'session', payload.encode())}"


def read_session(secret: bytes, value: str | None) -> str | None:
    """The session token a session cookie holds, or None when it is missing, forged or expired."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(signature, _sign(secret, "session", payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("k"), str) or not isinstance(data.get("exp"), int):
        return None
    return data["k"] if data["exp"] > time.time() else None


def new_csrf_cookie() -> str:
    """A fresh random value for the CSRF cookie."""
    return secrets.token_urlsafe(24)


def csrf_token(secret: bytes, cookie: str) -> str:
    """The form token that goes with a CSRF cookie."""
    return _sign(secret, "csrf", cookie.encode())


def csrf_valid(secret: bytes, cookie: str | None, token: str | None) -> bool:
    """Whether a posted form's token matches the browser's CSRF cookie."""
    if not cookie or not token:
        return False
    return hmac.compare_digest(token, csrf_token(secret, cookie))


def invitation_csrf_token(secret: bytes, invitation_cookie: str) -> str:
    """The X-CSRF-Token that goes with an invitation cookie: only pages of this site can know it."""
    return _sign(secret, "invitation-csrf", invitation_cookie.encode())


def invitation_csrf_valid(secret: bytes, invitation_cookie: str, token: str | None) -> bool:
    """Whether a request's X-CSRF-Token matches the invitation cookie it came with."""
    return token is not None and hmac.compare_digest(token, invitation_csrf_token(secret, invitation_cookie))
