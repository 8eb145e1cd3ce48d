"""Signed team sessions and CSRF tokens."""

from __future__ import annotations

import os
import stat

from judge.settings import Settings
from judge.web.sessions import csrf_token, csrf_valid, make_session, read_session, session_secret


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
    for bad in (None, "", "x", f"{forged}.{signature}", f"{payload}.{signature[:-1]}{'B' if signature[-1] == 'A' else 'A'}", f"{payload}x.{signature}", "a.b.c", "!!!.???"):
        assert read_session(secret, bad) is None, bad


def test_csrf_tokens_are_bound_to_the_cookie_and_secret():
    secret = b"s" * 32
    token = csrf_token(secret, "cookie")
    assert csrf_valid(secret, "cookie", token)
    assert not csrf_valid(secret, "other", token)
    assert not csrf_valid(b"x" * 32, "cookie", token)
    assert not csrf_valid(secret, None, token) and not csrf_valid(secret, "cookie", None)


def test_the_secret_is_made_once_privately_in_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    first = session_secret(settings)
    assert len(first) == 64 and session_secret(settings) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "session-secret").st_mode)
    assert mode == 0o600
    assert session_secret(Settings(data_dir=tmp_path, session_secret="configured")) == b"configured"
