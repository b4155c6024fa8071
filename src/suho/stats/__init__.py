"""Statistics: attack-success rates with confidence intervals, paired KO/EN tests."""

from suho.stats._compare import compare_runs
from suho.stats._diff import RateChange, newcombe_diff_ci, rate_change, two_proportion_p
from suho.stats._gap import compute_gap, gap_from_outcomes, verdict_en, verdict_ko
from suho.stats._multiturn import MultiTurnTally, queries_to_success
from suho.stats._paired import (
    GapStat,
    PairedCounts,
    binom_half_cdf,
    gap_stat,
    mcnemar_exact,
    newcombe_paired_ci,
)
from suho.stats._rates import Rate, wilson

__all__ = [
    "GapStat",
    "MultiTurnTally",
    "PairedCounts",
    "Rate",
    "RateChange",
    "binom_half_cdf",
    "compare_runs",
    "compute_gap",
    "gap_from_outcomes",
    "gap_stat",
    "mcnemar_exact",
    "newcombe_diff_ci",
    "newcombe_paired_ci",
    "queries_to_success",
    "rate_change",
    "two_proportion_p",
    "verdict_en",
    "verdict_ko",
    "wilson",
]
