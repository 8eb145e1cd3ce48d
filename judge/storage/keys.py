"""API keys: made with a random secret shown once, kept as a SHA-256 hash, checked in constant time.

A key reads `judge_<id>_<secret>`: the id finds the row, the whole key's hash must match it.
The secret has 256 bits of entropy, so a fast hash is enough (nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from judge.storage import team_sessions
from judge.storage.models import ApiKey, Role, utcnow

PREFIX = "judge"
#: Compared against when the id is unknown, so that a miss costs the same as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"judge-no-such-key").hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: the row and the only copy of the secret key."""

    row: ApiKey
    secret: str


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, role: Role, name: str, team: str | None = None) -> NewKey:
    """Make, store and commit a key of `role` (of `team`: keys of one team share its assessments and
    private problems); the returned secret is never stored."""
    key_id = secrets.token_hex(6)
    secret = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    row = ApiKey(id=key_id, name=name, role=role.value, key_hash=hash_key(secret), created_at=utcnow(), team=team)
    session.add(row)
    session.commit()
    return NewKey(row=row, secret=secret)


def authenticate(session: Session, presented: str) -> ApiKey | None:
    """The live key `presented` is, or None (unknown, malformed, wrong secret or revoked)."""
    parts = presented.split("_", 2)
    key_id = parts[1] if len(parts) == 3 and parts[0] == PREFIX else ""
    row = session.get(ApiKey, key_id) if key_id else None
    stored = row.key_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(stored, hash_key(presented))
    if row is None or not matches or row.revoked_at is not None:
        return None
    return row


def team_of(row: ApiKey) -> str | None:
    """The team a key acts for: its team, or for a team or admin key without one, itself; None for candidates."""
    if row.role == Role.CANDIDATE.value:
        return None
    return row.team or row.id


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (hashes only)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_key(session: Session, key_id: str) -> bool:
    """Revoke one key and end its team page sessions; False when no live key has that id."""
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    team_sessions.end_sessions_of(session, key_id, row.revoked_at)
    session.commit()
    return True


def has_admin(session: Session) -> bool:
    """Whether any live admin key exists."""
    query = select(ApiKey.id).where(ApiKey.role == Role.ADMIN.value, ApiKey.revoked_at.is_(None)).limit(1)
    return session.scalar(query) is not None
