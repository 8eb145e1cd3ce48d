"""Team sessions (signed cookie, state in the database) and CSRF tokens; Secure cookies over HTTPS."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from judge.app.cookies import CSRF_COOKIE, INVITATION_COOKIE, SESSION_COOKIE
from judge.app.sessions import (
    csrf_token,
    csrf_valid,
    make_session,
    read_session,
    session_secret,
)
from judge.settings import Settings
from judge.storage import keys
from judge.storage.models import ApiKey, Role, TeamSession, utcnow
from tests.web.pages import csrf_of, invite, make_assessment


def test_a_session_names_its_key_until_it_expires():
    secret = b"s" * 32
    assert read_session(secret, make_session(secret, "key1", 60)) == "key1"
    assert read_session(secret, make_session(secret, "key1", -1)) is None
    assert read_session(b"other", make_session(secret, "key1", 60)) is None


def test_tampered_or_malformed_sessions_are_refused():
    secret = b"s" * 32
    value = make_session(secret, "key1", 60)
    payload, signature = value.split(".")
    forged = make_session(b"attacker", "admin", 60).split(".")[0]
    for bad in (
        None,
        "",
        "x",
        f"{forged}.{signature}",
        f"{payload}.{signature[:-1]}{'B' if signature[-1] == 'A' else 'A'}",
        f"{payload}x.{signature}",
        "a.b.c",
        "!!!.???",
    ):
        assert read_session(secret, bad) is None, bad


def test_csrf_tokens_are_bound_to_the_cookie_and_secret():
    secret = b"s" * 32
    token = csrf_token(secret, "cookie")
    assert csrf_valid(secret, "cookie", token)
    assert not csrf_valid(secret, "other", token)
    assert not csrf_valid(b"x" * 32, "cookie", token)
    assert not csrf_valid(secret, None, token) and not csrf_valid(secret, "cookie", None)


def test_the_secret_is_made_once_privately_in_the_data_dir(tmp_path):
    settings = Settings(storage={"data_dir": tmp_path / "data"})
    first = session_secret(settings)
    assert len(first) == 64 and session_secret(settings) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "session-secret").st_mode)
    assert mode == 0o600
    assert (
        session_secret(Settings(storage={"data_dir": tmp_path}, service={"session_secret": "configured"}))
        == b"configured"
    )


# ---------------------------------------------------------------- sessions kept in the database


def _signed_in(service) -> str:
    """Sign the service's client in with the team key; the session cookie's value."""
    form = service.client.get("/team/login")
    answer = service.client.post(
        "/team/login",
        data={"api_key": service.team, "csrf_token": csrf_of(form.text), "next": "/team/assessments"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return service.client.cookies[SESSION_COOKIE]


def _with_cookie(service, value: str, path: str = "/team/assessments"):
    """GET `path` from a browser holding only the session cookie `value` (a stolen copy, say)."""
    other = TestClient(service.client.app)
    other.cookies.set(SESSION_COOKIE, value)
    return other.get(path, follow_redirects=False)


def test_logout_ends_the_session_so_a_copied_cookie_signs_in_no_one(service):
    stolen = _signed_in(service)
    assert _with_cookie(service, stolen).status_code == 200, "the copy works while the session lives"
    page = service.client.get("/team/assessments")
    assert (
        service.client.post("/team/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code
        == 303
    )
    answer = _with_cookie(service, stolen)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/team/login")
    with service.state.sessions() as session:
        assert session.scalar(select(TeamSession.ended_at)) is not None
        assert stolen not in {row.token_hash for row in session.scalars(select(TeamSession))}, "only a hash is stored"


def test_revoking_the_key_ends_its_sessions(service):
    cookie = _signed_in(service)
    with service.state.sessions() as session:
        team_row = next(k for k in keys.list_keys(session) if k.role == Role.TEAM.value)
        assert keys.revoke_key(session, team_row.id)
        assert all(
            row.ended_at is not None
            for row in session.scalars(select(TeamSession).where(TeamSession.key_id == team_row.id))
        )
    assert _with_cookie(service, cookie).status_code == 303


def test_a_session_of_a_key_revoked_behind_its_back_is_refused(service):
    cookie = _signed_in(service)
    with service.state.sessions() as session:
        row = session.get(ApiKey, next(k.id for k in keys.list_keys(session) if k.role == Role.TEAM.value))
        row.revoked_at = utcnow()  # as another process (or a restore) might: the session row is untouched
        session.commit()
    assert _with_cookie(service, cookie).status_code == 303


def test_an_expired_session_is_refused(service):
    cookie = _signed_in(service)
    real_clock = service.state.clock
    service.state.clock = lambda: real_clock() + timedelta(seconds=service.state.settings.service.session_max_age_s + 1)
    try:
        assert _with_cookie(service, cookie).status_code == 303
    finally:
        service.state.clock = real_clock
    assert _with_cookie(service, cookie).status_code == 200


def test_a_cookie_naming_a_key_but_no_session_is_refused(service):
    """The old cookie held the key id: a validly signed one of those (or any unknown token) opens nothing."""
    with service.state.sessions() as session:
        key_id = next(k.id for k in keys.list_keys(session) if k.role == Role.TEAM.value)
    forged = make_session(session_secret(service.state.settings), key_id, 3600)
    assert _with_cookie(service, forged).status_code == 303


def test_a_session_outlives_a_restart_of_the_service(start_service):
    first = start_service()
    cookie = _signed_in(first)
    restarted = start_service()  # same data dir: same database and secret, nothing kept in memory
    assert _with_cookie(restarted, cookie).status_code == 200


# ---------------------------------------------------------------- Secure cookies


def _set_cookies(service, base_url: str, peer: str, headers: dict[str, str]) -> dict[str, str]:
    """Every cookie the pages set on one sign-in and one invitation opened, by name (the Set-Cookie line).

    The browser's cookies are sent by hand: an HTTP client keeps Secure cookies off a plain-HTTP URL,
    and behind a TLS-terminating proxy the service does see plain HTTP."""
    client = TestClient(service.client.app, base_url=base_url, client=(peer, 5000), headers=headers)
    made = make_assessment(client, service.team)
    issued = invite(client, service.team, made["id"], "Ada")
    seen: dict[str, str] = {}

    def step(method: str, path: str, **form):
        jar = "; ".join(line.split(";", 1)[0] for line in seen.values())
        answer = client.request(
            method, path, data=form or None, headers={"Cookie": jar} if jar else {}, follow_redirects=False
        )
        seen.update({h.split("=", 1)[0]: h for h in answer.headers.get_list("set-cookie")})
        return answer

    form = step("GET", "/team/login")
    assert step("POST", "/team/login", api_key=service.team, csrf_token=csrf_of(form.text)).status_code == 303
    landing = step("GET", issued["link"])
    assert step("POST", issued["link"], csrf_token=csrf_of(landing.text)).status_code == 303
    return seen


def test_cookies_are_secure_over_https_and_from_a_trusted_proxy_only(start_service):
    service = start_service(service={"trusted_proxies": ["10.0.0.0/8"]})
    names = (SESSION_COOKIE, CSRF_COOKIE, INVITATION_COOKIE)
    direct = _set_cookies(service, "https://testserver", "203.0.113.9", {})
    proxied = _set_cookies(service, "http://testserver", "10.1.2.3", {"X-Forwarded-Proto": "https"})
    for cookies in (direct, proxied):
        assert all("; secure" in cookies[name].lower() for name in names), cookies
    plain = _set_cookies(service, "http://testserver", "10.1.2.3", {})
    spoofed = _set_cookies(service, "http://testserver", "203.0.113.9", {"X-Forwarded-Proto": "https"})
    for cookies in (plain, spoofed):
        assert not any("; secure" in cookies[name].lower() for name in names), cookies


def test_secure_cookies_setting_marks_them_over_plain_http_too(start_service):
    service = start_service(service={"secure_cookies": True})
    cookies = _set_cookies(service, "http://testserver", "203.0.113.9", {})
    assert all("; secure" in cookies[name].lower() for name in (SESSION_COOKIE, CSRF_COOKIE, INVITATION_COOKIE)), (
        cookies
    )
