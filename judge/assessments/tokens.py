"""Invitation tokens: `inv_<id>_<secret>`, 256 random bits shown once (as a link), kept as SHA-256.

The id finds the row and the whole token's hash must match it, compared in constant time; a fast
hash suffices because the secret has far too much entropy to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "inv"
_DUMMY_HASH = hashlib.sha256(b"judge-no-such-invitation").hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A fresh token: the invitation id it names and the only copy of the secret token."""

    invitation_id: str
    token: str
    token_hash: str


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> NewToken:
    """A new invitation id and its secret token."""
    return token_for(secrets.token_hex(8))


def token_for(invitation_id: str) -> NewToken:
    """A new secret token for an existing invitation id (a re-issued link: the old token no longer matches)."""
    token = f"{PREFIX}_{invitation_id}_{secrets.token_urlsafe(32)}"
    return NewToken(invitation_id=invitation_id, token=token, token_hash=hash_token(token))


def invitation_id_of(token: str) -> str:
    """The invitation id a token names, or '' when it is not shaped like a token."""
    parts = token.split("_", 2)
    if len(parts) == 3 and parts[0] == PREFIX and parts[1] and len(parts[1]) <= 32:
        return parts[1]
    return ""


def matches(stored_hash: str | None, token: str) -> bool:
    """Whether `token` hashes to `stored_hash`; a missing row costs as much as a wrong token."""
    return hmac.compare_digest(stored_hash or _DUMMY_HASH, hash_token(token)) and stored_hash is not None
