"""The difference between two independent rates (two runs, two models, two dates).

Newcombe's hybrid score interval (Newcombe 1998, "method 10" of the independent-samples paper):
square-and-add of the two Wilson intervals. Good coverage at small n and near 0 or 1, where the
Wald interval fails. The test beside it is the two-sided pooled z-test (a plain chi-square on the
2x2 table without continuity correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from suho.stats._rates import Z95, Rate, wilson


def newcombe_diff_ci(
    s1: int, n1: int, s2: int, n2: int, z: float = Z95
) -> tuple[float, float] | None:
    """95% interval for ``s1/n1 - s2/n2`` from independent samples; ``None`` if a side is empty."""
    if n1 == 0 or n2 == 0:
        return None
    r1, r2 = wilson(s1, n1, z), wilson(s2, n2, z)
    assert r1.low is not None and r1.high is not None and r2.low is not None and r2.high is not None
    p1, p2 = s1 / n1, s2 / n2
    d = p1 - p2
    low = d - math.sqrt((p1 - r1.low) ** 2 + (r2.high - p2) ** 2)
    high = d + math.sqrt((r1.high - p1) ** 2 + (p2 - r2.low) ** 2)
    return max(-1.0, low), min(1.0, high)


def two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; ``None`` if a side is empty."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var == 0:
        return 1.0  # both sides all-success or all-failure: no difference to test
    zstat = (s1 / n1 - s2 / n2) / math.sqrt(var)
    return math.erfc(abs(zstat) / math.sqrt(2.0))


@dataclass(frozen=True, slots=True)
class RateChange:
    """Rate ``b`` (the newer run) minus rate ``a`` (the older run), with CI and p-value.

    ``significant`` means the 95% interval of the change excludes zero.
    """

    a: Rate
    b: Rate
    ci: tuple[float, float] | None
    p_value: float | None

    @property
    def change(self) -> float | None:
        if self.a.value is None or self.b.value is None:
            return None
        return self.b.value - self.a.value

    @property
    def significant(self) -> bool:
        return self.ci is not None and (self.ci[0] > 0 or self.ci[1] < 0)

    def to_dict(self) -> dict[str, Any]:
        def pp(x: float | None) -> float | None:
            return None if x is None else round(100.0 * x, 4)

        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "change_pp": pp(self.change),
            "ci_low_pp": pp(self.ci[0]) if self.ci else None,
            "ci_high_pp": pp(self.ci[1]) if self.ci else None,
            "p_value": None if self.p_value is None else float(f"{self.p_value:.6g}"),
            "significant": self.significant,
        }


def rate_change(s_a: int, n_a: int, s_b: int, n_b: int, z: float = Z95) -> RateChange:
    """The change from ``s_a/n_a`` to ``s_b/n_b`` (independent samples)."""
    return RateChange(
        a=wilson(s_a, n_a, z),
        b=wilson(s_b, n_b, z),
        ci=newcombe_diff_ci(s_b, n_b, s_a, n_a, z),
        p_value=two_proportion_p(s_b, n_b, s_a, n_a),
    )
