"""Team page sessions kept in the database, so that logout and revoking the key end them at once.

The browser holds a random token (inside the signed session cookie); only its SHA-256 is stored, so
a copy of the table opens no session. A session is live until it expires, is ended by logout, or its
key is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from judge.storage.models import ApiKey, TeamSession


def hash_token(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, key_id: str, max_age_s: int, now: datetime) -> str:
    """Store and commit a session of `key_id` lasting `max_age_s` seconds; the token is returned, never stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        TeamSession(
            token_hash=hash_token(token), key_id=key_id, created_at=now, expires_at=now + timedelta(seconds=max_age_s)
        )
    )
    session.commit()
    return token


def live_key(session: Session, token: str, now: datetime) -> ApiKey | None:
    """The live key of a live session `token`, or None (unknown, ended, expired, or its key revoked)."""
    row = session.get(TeamSession, hash_token(token))
    if row is None or row.ended_at is not None or row.expires_at <= now:
        return None
    key = session.get(ApiKey, row.key_id)
    if key is None or key.revoked_at is not None:
        return None
    return key


def end_session(session: Session, token: str, now: datetime) -> None:
    """End the session `token` (logout); nothing happens for an unknown or ended one."""
    session.execute(
        update(TeamSession)
        .where(TeamSession.token_hash == hash_token(token), TeamSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.commit()


def end_sessions_of(session: Session, key_id: str, now: datetime) -> None:
    """End every live session of `key_id` (the key is being revoked); the caller commits."""
    session.execute(
        update(TeamSession).where(TeamSession.key_id == key_id, TeamSession.ended_at.is_(None)).values(ended_at=now)
    )
