"""Rates (open, click, conversion): each variant against the control, frequentist."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import norm

from kempen.stats.types import (
    Comparison,
    Estimate,
    ProportionArm,
    TestResult,
    check_confidence,
    check_proportion_arms,
    label,
    z_quantile,
)

WALD = "difference of rates, unpooled Wald interval"
LOG_RATIO = "ratio of rates − 1, delta method on the log ratio"
Z_TEST = "two-proportion z-test, pooled variance, two-sided"


def compare_proportions(arms: Sequence[ProportionArm], *, confidence: float = 0.95) -> tuple[Comparison, ...]:
    """Compare every variant after the first with the first (the control)."""
    check_proportion_arms(arms)
    check_confidence(confidence)
    z = z_quantile(confidence)
    return tuple(_compare(arms[0], arm, index, z) for index, arm in enumerate(arms) if index)


def _compare(control: ProportionArm, variant: ProportionArm, index: int, z: float) -> Comparison:
    return Comparison(variant=index, control=0, absolute=absolute_difference(control, variant, z, index),
                      relative=relative_difference(control, variant, z, index),
                      test=z_test(control, variant, index))


def _empty(control: ProportionArm, variant: ProportionArm, index: int) -> str | None:
    if control.n == 0:
        return "The control (A) has no users."
    if variant.n == 0:
        return f"Variant {label(index)} has no users."
    return None


def absolute_difference(control: ProportionArm, variant: ProportionArm, z: float, index: int = 1) -> Estimate:
    """Variant rate − control rate, with the unpooled Wald interval (as statsmodels' method="wald")."""
    reason = _empty(control, variant, index)
    if reason:
        return Estimate.undefined(WALD, reason)
    p0, p1 = control.conversions / control.n, variant.conversions / variant.n
    se = math.sqrt(p0 * (1 - p0) / control.n + p1 * (1 - p1) / variant.n)
    diff = p1 - p0
    if se == 0:
        # Both rates are 0 % or 100 %: the Wald interval collapses to a point, which would claim certainty.
        return Estimate(diff, None, None, WALD, "Both rates are 0% or 100%, so the interval cannot be estimated.")
    return Estimate(diff, diff - z * se, diff + z * se, WALD)


def relative_difference(control: ProportionArm, variant: ProportionArm, z: float, index: int = 1) -> Estimate:
    """Lift = variant rate / control rate − 1, interval from the log ratio (as statsmodels' method="log")."""
    reason = _empty(control, variant, index)
    if reason:
        return Estimate.undefined(LOG_RATIO, reason)
    if control.conversions == 0:
        return Estimate.undefined(LOG_RATIO, "The control (A) has no conversions, so a relative change is undefined.")
    ratio = (variant.conversions / variant.n) / (control.conversions / control.n)
    if variant.conversions == 0:
        return Estimate(ratio - 1, None, None, LOG_RATIO,
                        f"Variant {label(index)} has no conversions, so the log-ratio interval is undefined.")
    variance = 1 / variant.conversions - 1 / variant.n + 1 / control.conversions - 1 / control.n
    half = z * math.sqrt(variance)
    log_ratio = math.log(ratio)
    return Estimate(ratio - 1, math.exp(log_ratio - half) - 1, math.exp(log_ratio + half) - 1, LOG_RATIO)


def z_test(control: ProportionArm, variant: ProportionArm, index: int = 1) -> TestResult:
    """Two-sided pooled z-test (as statsmodels' proportions_ztest); undefined without variation."""
    reason = _empty(control, variant, index)
    if reason:
        return TestResult(None, None, Z_TEST, reason)
    pooled = (control.conversions + variant.conversions) / (control.n + variant.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / variant.n))
    if se == 0:
        what = "no user converted" if pooled == 0 else "every user converted"
        return TestResult(None, None, Z_TEST, f"In both variants {what}, so there is nothing to test.")
    statistic = (variant.conversions / variant.n - control.conversions / control.n) / se
    return TestResult(statistic, float(2 * norm.sf(abs(statistic))), Z_TEST)
