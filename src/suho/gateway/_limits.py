"""Per-key token buckets and daily quotas (in memory, one server process)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    """``rate`` requests a second on average, bursts of up to ``burst``."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float | None = None) -> float:
        """0.0 when a request may go now, else the seconds until one may."""
        now = time.monotonic() if now is None else now
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass(slots=True)
class DailyQuota:
    """At most ``limit`` requests per UTC day."""

    limit: int
    day: int = -1
    used: int = 0

    def take(self, now: float | None = None) -> float:
        """0.0 when within the quota, else the seconds until the next UTC day."""
        now = time.time() if now is None else now
        day = int(now // 86400)
        if day != self.day:
            self.day, self.used = day, 0
        if self.used >= self.limit:
            return math.ceil((day + 1) * 86400 - now)
        self.used += 1
        return 0.0


__all__ = ["DailyQuota", "TokenBucket"]
