"""Who is calling: API keys from the Authorization or X-API-Key header, roles, and per-key rate limits."""

from __future__ import annotations

import math
import threading
import time
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
        return Reader(key_id=self.key_id, team=self.team if self.role is Role.TEAM else None, admin=self.role is Role.ADMIN)


class RateLimiter:
    """A token bucket per key: `burst` requests at once, refilled at `per_minute` a minute.

    Kept in this process: with several API processes, each allows this much.
    """

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> int:
        """Spend one token; 0 when allowed, else the whole seconds until a token is back."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0
            self._buckets[key_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
