"""Statistics: attack-success rates with confidence intervals, paired KO/EN tests."""

from suho.stats._rates import Rate, wilson

__all__ = ["Rate", "wilson"]
