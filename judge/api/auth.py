"""Who is calling: API keys from the Authorization or X-API-Key header, and roles (rate limits: judge/api/ratelimits.py)."""

from __future__ import annotations

from dataclasses import dataclass

from judge.storage.models import Role


@dataclass(frozen=True)
class Caller:
    """The key a request came with."""

    key_id: str
    role: Role
    name: str
    team: str | None = None  # the team of a team or admin key; None for candidate keys

    @property
    def sees_all(self) -> bool:
        """Admins and teams see every submission; a candidate only its own."""
        return self.role in (Role.ADMIN, Role.TEAM)
