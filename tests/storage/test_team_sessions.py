"""Team page sessions in the database: only a hash kept, ended by logout and by revoking the key, expiring."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from judge.storage import keys, team_sessions
from judge.storage.models import Role, TeamSession, utcnow


def test_a_session_lives_until_it_expires_or_is_ended(sessions):
    now = utcnow()
    with sessions() as session:
        key = keys.create_key(session, Role.TEAM, "acme", team="acme").row
        token = team_sessions.start_session(session, key.id, 3600, now)
        other = team_sessions.start_session(session, key.id, 3600, now)
        stored = set(session.scalars(select(TeamSession.token_hash)))
        assert token not in stored and team_sessions.hash_token(token) in stored, "only the token's hash is kept"
        assert team_sessions.live_key(session, token, now).id == key.id
        assert team_sessions.live_key(session, token, now + timedelta(seconds=3600)) is None, "expired"
        assert team_sessions.live_key(session, "not-a-session", now) is None
        team_sessions.end_session(session, token, now)
        assert team_sessions.live_key(session, token, now) is None, "logged out"
        assert team_sessions.live_key(session, other, now) is not None, "logout ends that session only"


def test_revoking_the_key_ends_every_session_of_it_and_no_other(sessions):
    now = utcnow()
    with sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").row
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").row
        tokens = [team_sessions.start_session(session, acme.id, 3600, now) for _ in range(2)]
        theirs = team_sessions.start_session(session, globex.id, 3600, now)
        assert keys.revoke_key(session, acme.id)
        assert all(team_sessions.live_key(session, t, now) is None for t in tokens)
        assert team_sessions.live_key(session, theirs, now).id == globex.id
