"""Pure statistics, fed with sufficient statistics; imports nothing else of Kempen.

`analyse_proportions` / `analyse_means` read a whole A/B test; the pieces (`compare_*`,
`probability_best_*`, `sample_ratio_mismatch`, `sample_size_*`, one variant's `proportion_interval` or
`mean_interval`) are usable alone. docs/statistics.md names every method and formula.
"""

from kempen.stats.ab import AbResult, VariantSummary, analyse_means, analyse_proportions
from kempen.stats.bayes import BestResult, probability_best_means, probability_best_proportions
from kempen.stats.intervals import mean_interval, proportion_interval
from kempen.stats.means import compare_means
from kempen.stats.proportions import compare_proportions
from kempen.stats.sample_size import SampleSize, sample_size_means, sample_size_proportions
from kempen.stats.srm import SrmResult, sample_ratio_mismatch
from kempen.stats.types import (
    Comparison,
    Estimate,
    MeanArm,
    ProportionArm,
    StatsInputError,
    TestResult,
    label,
)

__all__ = [
    "AbResult", "BestResult", "Comparison", "Estimate", "MeanArm", "ProportionArm", "SampleSize", "SrmResult",
    "StatsInputError", "TestResult", "VariantSummary", "analyse_means", "analyse_proportions", "compare_means",
    "compare_proportions", "label", "mean_interval", "probability_best_means", "probability_best_proportions",
    "proportion_interval", "sample_ratio_mismatch", "sample_size_means", "sample_size_proportions",
]
