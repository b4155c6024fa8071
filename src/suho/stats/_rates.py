"""Proportions with confidence intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Rate:
    """``successes / trials`` with a 95% Wilson score interval. ``value`` is None for 0 trials."""

    successes: int
    trials: int
    low: float | None
    high: float | None

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    def to_dict(self) -> dict[str, float | int | None]:
        v = self.value
        return {
            "successes": self.successes,
            "trials": self.trials,
            "rate": None if v is None else round(v, 6),
            "ci_low": None if self.low is None else round(self.low, 6),
            "ci_high": None if self.high is None else round(self.high, 6),
        }


def wilson(successes: int, trials: int, z: float = Z95) -> Rate:
    """Wilson score interval: well-behaved at 0, 1 and small n, unlike the normal approximation."""
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return Rate(0, 0, None, None)
    n = trials
    p = successes / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Rate(successes, trials, low, high)
