"""Rate limits, counted by the `limits` library in storage every API process shares: requests per
credential (an API key, an invitation), and failed authentications per client address.

The counts live where settings.rate_limits.storage_url says (Redis by default with the celery queue,
this process's memory with the embedded one). A storage that does not answer lets requests through
unlimited, with a logged warning, rather than failing them: the service stays usable while Redis
restarts, and the credentials themselves (256-bit API keys, invitation tokens) are not guessable, so
the failure limit is defence in depth that may lapse for seconds.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.retry import Retry

from judge.app.errors import RateLimited
from judge.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

#: After the storage failed, how long requests go unlimited before it is asked again (so that a dead
#: Redis costs one timeout per this interval, not one per request).
STORAGE_RETRY_S = 5.0
#: How long one call to the storage may take: a Redis that does not answer must not hold requests up.
STORAGE_TIMEOUT_S = 0.5


def storage_url(settings: Settings) -> str:
    """Where the counts live: the configured URL, else Redis when the queue is celery (every API process
    shares it), else this process's memory (the embedded queue runs one API process)."""
    if settings.rate_limits.storage_url:
        return settings.rate_limits.storage_url
    return settings.queue.redis_url if settings.queue.backend == "celery" else "memory://"


class RateLimits:
    """The service's rate limits on one storage, namespaced by settings.rate_limits.key_prefix."""

    def __init__(self, settings: Settings) -> None:
        url = storage_url(settings)
        options: dict[str, Any] = {}
        if url.startswith("redis"):
            # No retries: a failed call lets the request through (see _guarded), it must not wait for Redis.
            options = {
                "socket_timeout": STORAGE_TIMEOUT_S,
                "socket_connect_timeout": STORAGE_TIMEOUT_S,
                "retry": Retry(NoBackoff(), 0),
            }
        self._limiter = MovingWindowRateLimiter(storage_from_string(url, wrap_exceptions=True, **options))
        prefix = settings.rate_limits.key_prefix
        self.per_minute = RateLimitItemPerMinute(settings.rate_limits.per_minute, namespace=f"{prefix}:requests")
        self.burst = RateLimitItemPerSecond(settings.rate_limits.burst, namespace=f"{prefix}:burst")
        self.runs = RateLimitItemPerMinute(settings.rate_limits.runs_per_minute, namespace=f"{prefix}:runs")
        self.failures = RateLimitItemPerMinute(
            settings.rate_limits.auth_failures_per_minute, namespace=f"{prefix}:auth-failures"
        )
        self._down = False
        self._down_until = 0.0
        self._lock = threading.Lock()

    def take(self, credential: str) -> None:
        """Count one request of `credential` (an API key's id, "invitation:<id>"); RateLimited (429) when
        it is over its requests a minute or a second."""
        for item in (self.per_minute, self.burst):
            if not self._guarded(partial(self._limiter.hit, item, credential), True):
                wait = self._retry_after(item, credential)
                raise RateLimited(
                    f"rate limit of {item.amount} requests a {item.GRANULARITY.name} exceeded; retry in {wait} s", wait
                )

    def take_run(self, credential: str) -> None:
        """Count one Run of `credential` (as for `take`); RateLimited (429) when it is over its Runs a minute."""
        if not self._guarded(partial(self._limiter.hit, self.runs, credential), True):
            wait = self._retry_after(self.runs, credential)
            raise RateLimited(f"you may run your code {self.runs.amount} times a minute; run again in {wait} s", wait)

    def admit(self, address: str) -> None:
        """Before authenticating a request from `address`: RateLimited (429) once it failed too often."""
        if not self._guarded(lambda: self._limiter.test(self.failures, address), True):
            wait = self._retry_after(self.failures, address)
            raise RateLimited(
                f"too many failed authentications from this address ({self.failures.amount} a minute); retry in {wait} s",
                wait,
            )

    def failed(self, address: str) -> None:
        """Count one failed authentication from `address`."""
        self._guarded(lambda: self._limiter.hit(self.failures, address), True)

    def _retry_after(self, item: RateLimitItem, identifier: str) -> int:
        """Whole seconds until `item` admits `identifier` again, at least 1."""
        stats = self._guarded(lambda: self._limiter.get_window_stats(item, identifier), None)
        if stats is None:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _guarded(self, call: Callable[[], T], unavailable: T) -> T:
        """`call` on the storage; `unavailable` while the storage fails (logged once per outage)."""
        if time.monotonic() < self._down_until:
            return unavailable
        try:
            result = call()
        except StorageError as exc:
            with self._lock:
                first, self._down = not self._down, True
                self._down_until = time.monotonic() + STORAGE_RETRY_S
            if first:
                log.warning("rate-limit storage unavailable, requests go unlimited meanwhile: %s", exc.storage_error)
            return unavailable
        if self._down:
            with self._lock:
                self._down = False
            log.info("rate-limit storage answers again; requests are limited again")
        return result
