"""Who is calling: API keys from the Authorization or X-API-Key header, and roles (rate limits: judge/app/ratelimits.py)."""

from __future__ import annotations

from dataclasses import dataclass

from judge.storage.models import Role
from judge.storage.submissions import Reader


@dataclass(frozen=True)
class Caller:
    """The key a request came with."""

    key_id: str
    role: Role
    name: str
    team: str | None = None  # the team of a team or admin key; None for candidate keys

    @property
    def reader(self) -> Reader:
        """Whose submissions the caller may read: an admin every one, a team key its team's, a candidate its own."""
        return Reader(
            key_id=self.key_id, team=self.team if self.role is Role.TEAM else None, admin=self.role is Role.ADMIN
        )
