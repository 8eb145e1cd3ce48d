"""The cookies the service sets, by name, and whether they are marked Secure."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from judge.app.client import over_https
from judge.settings import Settings

#: A signed-in team member's browser session (judge.app.sessions signs it).
SESSION_COOKIE = "judge_session"
#: The random per-browser value a form's CSRF token is the HMAC of.
CSRF_COOKIE = "judge_csrf"
#: The invitation token the invite page keeps for the candidate's pages and API calls.
INVITATION_COOKIE = "judge_invitation"
#: A just-made invitation link, carried once across the invite form's redirect (judge.web.flash signs it).
ISSUED_COOKIE = "judge_issued"


def secure_cookies(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether cookies set in answer to this request are marked Secure: always when configured so,
    else when the request came over HTTPS (directly, or as a trusted proxy says)."""
    return settings.service.secure_cookies or over_https(connection, settings)
