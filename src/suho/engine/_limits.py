"""Rate limiting and retry backoff for one target.

The limiter is shared by every worker of a run: a token bucket for ``--rps`` plus a cooldown gate
that a 429 with ``Retry-After`` closes for everyone, so concurrent workers do not stampede a
server that asked them to wait. Each model role of a run (target, attacker, judge) has its own
limiter; the retry loop around a request is ``RoleModel.send`` in ``_context.py``.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass


class RateLimiter:
    def __init__(self, rps: float | None = None) -> None:
        self.interval = 1.0 / rps if rps else 0.0
        self._next = 0.0
        self._cooldown_until = 0.0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while (wait := self._cooldown_until - loop.time()) > 0:
            await asyncio.sleep(wait)
        if self.interval:
            now = loop.time()
            slot = max(now, self._next)
            self._next = slot + self.interval
            # asyncio may wake a timer up to one clock tick early: wait until the slot really came.
            while (d := slot - loop.time()) > 0:
                await asyncio.sleep(d)

    def cooldown(self, seconds: float) -> None:
        """Hold every worker back for ``seconds`` (a server said Retry-After)."""
        until = asyncio.get_running_loop().time() + seconds
        self._cooldown_until = max(self._cooldown_until, until)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 3
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before try ``attempt + 1``.

        Exponential backoff with equal jitter; a server's ``Retry-After`` is a floor (capped at
        ``max_retry_after``) plus a little jitter so waiting workers do not return in lockstep.
        """
        if retry_after is not None:
            ra = min(retry_after, self.max_retry_after)
            return float(ra + rng.uniform(0, min(1.0, 0.1 * ra + 0.05)))
        d = min(self.cap, self.base * (2 ** (attempt - 1)))
        return float(d / 2 + rng.uniform(0, d / 2))
