"""Paired comparisons: McNemar's exact test and Newcombe's interval for a paired difference.

A *pair* is one intent answered on both sides (Korean and English, or adapted and literal
Korean) under the same transform, attack and repeat. Each side either succeeded (the model gave
the harmful help) or not, so the pairs form a 2x2 table::

                   b succeeded   b failed
    a succeeded       both        a_only
    a failed         b_only       neither

Only the discordant cells (``a_only``, ``b_only``) carry information about a difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from suho.stats._rates import Z95, Rate, wilson

# Above this many discordant pairs the binomial tail is summed in log space instead of exactly.
_EXACT_LIMIT = 5000


def binom_half_cdf(k: int, n: int) -> float:
    """``P(X <= k)`` for ``X ~ Binomial(n, 1/2)``; exact integer arithmetic up to 5000 trials."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= _EXACT_LIMIT:
        total, term = 0, 1  # term = C(n, i)
        for i in range(k + 1):
            total += term
            term = term * (n - i) // (i + 1)
        return total / (1 << n)  # int / int is correctly rounded
    log_terms = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)
    ]
    top = max(log_terms)
    log_sum = top + math.log(math.fsum(math.exp(t - top) for t in log_terms))
    return min(1.0, math.exp(log_sum - n * math.log(2.0)))


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    Under "no difference" each discordant pair is equally likely to fall either way, so the
    smaller count is a Binomial(a_only + b_only, 1/2) tail; the two-sided p doubles it (capped
    at 1). With no discordant pairs there is no evidence of a difference: p = 1.
    """
    if a_only < 0 or b_only < 0:
        raise ValueError("counts must be >= 0")
    n = a_only + b_only
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * binom_half_cdf(min(a_only, b_only), n))


@dataclass(frozen=True, slots=True)
class PairedCounts:
    """The paired 2x2 table (see the module docstring)."""

    both: int = 0
    a_only: int = 0
    b_only: int = 0
    neither: int = 0

    @property
    def n(self) -> int:
        return self.both + self.a_only + self.b_only + self.neither


def newcombe_paired_ci(t: PairedCounts, z: float = Z95) -> tuple[float, float] | None:
    """95% interval for ``rate_a - rate_b`` on paired data: Newcombe (1998), method 10.

    Square-and-add of the two Wilson score intervals, corrected for the correlation between the
    sides with Newcombe's continuity-corrected phi. Keeps within [-1, 1], behaves at 0 and 1 and
    for small n, unlike the Wald interval. ``None`` when there are no pairs.
    """
    n = t.n
    if n == 0:
        return None
    s1, s2 = t.both + t.a_only, t.both + t.b_only
    r1, r2 = wilson(s1, n, z), wilson(s2, n, z)
    assert r1.low is not None and r1.high is not None and r2.low is not None and r2.high is not None
    p1, p2 = s1 / n, s2 / n
    d = p1 - p2
    denom = s1 * (n - s1) * s2 * (n - s2)
    phi = 0.0
    if denom > 0:
        cross = t.both * t.neither - t.a_only * t.b_only
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(denom)
        elif cross < 0:
            phi = cross / math.sqrt(denom)
    dl1, du1 = p1 - r1.low, r1.high - p1
    dl2, du2 = p2 - r2.low, r2.high - p2
    low = d - math.sqrt(max(0.0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2))
    high = d + math.sqrt(max(0.0, dl2 * dl2 - 2 * phi * dl2 * du1 + du1 * du1))
    return max(-1.0, low), min(1.0, high)


@dataclass(frozen=True, slots=True)
class GapStat:
    """A paired gap between side ``a`` and side ``b`` (e.g. ko vs en) with its test and interval.

    ``diff_pp`` is ``rate_a - rate_b`` in percentage points: positive means side ``a`` gave the
    harmful help more often (for over-refusal pairs: refused more often). ``significant`` is
    McNemar's exact p < 0.05.
    """

    a: str
    b: str
    counts: PairedCounts
    a_rate: Rate
    b_rate: Rate
    diff: float | None
    ci: tuple[float, float] | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 0.05

    def to_dict(self) -> dict[str, Any]:
        def pp(x: float | None) -> float | None:
            return None if x is None else round(100.0 * x, 4)

        return {
            "a": self.a,
            "b": self.b,
            "n_pairs": self.counts.n,
            "a_rate": self.a_rate.to_dict(),
            "b_rate": self.b_rate.to_dict(),
            "diff_pp": pp(self.diff),
            "ci_low_pp": pp(self.ci[0]) if self.ci else None,
            "ci_high_pp": pp(self.ci[1]) if self.ci else None,
            "discordant_a_only": self.counts.a_only,
            "discordant_b_only": self.counts.b_only,
            "p_value": None if self.p_value is None else float(f"{self.p_value:.6g}"),
            "significant": self.significant,
        }


def gap_stat(counts: PairedCounts, a: str = "ko", b: str = "en", z: float = Z95) -> GapStat:
    """Rates of both sides with Wilson intervals, their paired difference, CI and McNemar p."""
    n = counts.n
    s1, s2 = counts.both + counts.a_only, counts.both + counts.b_only
    return GapStat(
        a=a,
        b=b,
        counts=counts,
        a_rate=wilson(s1, n, z),
        b_rate=wilson(s2, n, z),
        diff=(s1 - s2) / n if n else None,
        ci=newcombe_paired_ci(counts, z),
        p_value=mcnemar_exact(counts.a_only, counts.b_only) if n else None,
    )
