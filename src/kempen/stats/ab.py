"""An A/B test read in one call: the comparisons, the probability to be best and the split check."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from kempen.stats.bayes import BestResult, probability_best_means, probability_best_proportions
from kempen.stats.means import compare_means
from kempen.stats.proportions import compare_proportions
from kempen.stats.srm import SrmResult, sample_ratio_mismatch
from kempen.stats.types import Comparison, MeanArm, ProportionArm, StatsInputError, label

Metric = Literal["proportion", "mean"]


@dataclass(frozen=True)
class VariantSummary:
    """One variant's figures: its rate (proportions) or mean and standard deviation (means)."""

    label: str
    users: int
    value: float | None
    probability_best: float | None
    conversions: int | None = None
    total: float | None = None
    total_squares: float | None = None
    std_dev: float | None = None


@dataclass(frozen=True)
class AbResult:
    """Everything about one A/B test; the first variant is the control that the others are compared with."""

    metric: Metric
    confidence: float
    variants: tuple[VariantSummary, ...]
    comparisons: tuple[Comparison, ...]
    best: BestResult
    srm: SrmResult

    @property
    def summary(self) -> str:
        from kempen.stats.summary import summarise

        return summarise(self)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (variants by label, no NaN: undefined values are null with a reason)."""
        data = asdict(self)
        for item, comparison in zip(data["comparisons"], self.comparisons, strict=True):
            item["variant"] = self.variants[comparison.variant].label
            item["control"] = self.variants[comparison.control].label
            item["probability_best"] = self.variants[comparison.variant].probability_best
        data["summary"] = self.summary
        return _no_nan(data)


def _no_nan(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _labels(labels: Sequence[str] | None, count: int) -> list[str]:
    if labels is None:
        return [label(i) for i in range(min(count, 26))]
    if len(labels) != count:
        raise StatsInputError(f"There are {len(labels)} labels for {count} variants.")
    return list(labels)


def _same_length(**columns: Sequence[Any]) -> None:
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{count} {name}" for name, count in lengths.items())
        raise StatsInputError(f"Give one value per variant for each list (got {listed}).")


def analyse_proportions(users: Sequence[int], conversions: Sequence[int], *, split: Sequence[float] | None = None,
                        confidence: float = 0.95, labels: Sequence[str] | None = None) -> AbResult:
    """Read an A/B test of a rate: users and conversions per variant, control first."""
    _same_length(users=users, conversions=conversions)
    arms = [ProportionArm(n, x) for n, x in zip(users, conversions, strict=True)]
    comparisons = compare_proportions(arms, confidence=confidence)
    best = probability_best_proportions(arms)
    srm = sample_ratio_mismatch(list(users), split)
    names = _labels(labels, len(arms))
    variants = tuple(VariantSummary(names[i], arm.n, arm.rate, _prob(best, i), conversions=arm.conversions)
                     for i, arm in enumerate(arms))
    return AbResult("proportion", confidence, variants, comparisons, best, srm)


def analyse_means(users: Sequence[int], sums: Sequence[float], sums_squares: Sequence[float], *,
                  split: Sequence[float] | None = None, confidence: float = 0.95,
                  labels: Sequence[str] | None = None) -> AbResult:
    """Read an A/B test of a per-user value: users, sum and sum of squares per variant, control first."""
    _same_length(users=users, sums=sums, sums_squares=sums_squares)
    arms = [MeanArm(n, float(s), float(q)) for n, s, q in zip(users, sums, sums_squares, strict=True)]
    comparisons = compare_means(arms, confidence=confidence)
    best = probability_best_means(arms)
    srm = sample_ratio_mismatch(list(users), split)
    names = _labels(labels, len(arms))
    variants = tuple(
        VariantSummary(names[i], arm.n, arm.mean, _prob(best, i), total=arm.total, total_squares=arm.total_squares,
                       std_dev=math.sqrt(arm.variance) if arm.variance is not None else None)
        for i, arm in enumerate(arms))
    return AbResult("mean", confidence, variants, comparisons, best, srm)


def _prob(best: BestResult, index: int) -> float | None:
    return best.probabilities[index] if best.probabilities is not None else None
