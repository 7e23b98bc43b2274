"""Rate limits per facility: one token bucket each, refilled continuously.

A facility may send `burst` requests at once and `rate` per second on average; beyond that the
API answers 429 with Retry-After (whole seconds until a token is back). The clock is injected
(monotonic seconds), so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.config import RateLimit

Monotonic = Callable[[], float]


@dataclass
class TokenBucket:
    """`tokens` available at time `updated` (monotonic seconds)."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float, cost: float = 1.0) -> float:
        """Take `cost` tokens if there are enough; returns 0.0 then, else the seconds until
        there will be (nothing is taken)."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


class RateLimiter:
    """Token buckets by key (a facility code), created on first use from `limit_for(key)`."""

    def __init__(self, limit_for: Callable[[str], RateLimit], clock: Monotonic = time.monotonic) -> None:
        self._limit_for = limit_for
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, key: str) -> float:
        """Spend one request of `key`'s bucket: 0.0 when allowed, else seconds to wait."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            limit = self._limit_for(key)
            bucket = TokenBucket(limit.rate, limit.burst, limit.burst, now)
            self._buckets[key] = bucket
        return bucket.take(now)


def retry_after(seconds: float) -> str:
    """The Retry-After header value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
