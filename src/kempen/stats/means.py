"""Per-recipient values (revenue per recipient): each variant against the control, Welch's t-test."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import norm, t

from kempen.stats.types import (
    Comparison,
    Estimate,
    MeanArm,
    TestResult,
    check_confidence,
    check_mean_arms,
    label,
)

WELCH_CI = "difference of means, Welch–Satterthwaite t interval"
RATIO_DELTA = "ratio of means − 1, delta method (normal approximation)"
WELCH_TEST = "Welch's unequal-variances t-test, two-sided"


def compare_means(arms: Sequence[MeanArm], *, confidence: float = 0.95) -> tuple[Comparison, ...]:
    """Compare every variant after the first with the first (the control)."""
    check_mean_arms(arms)
    check_confidence(confidence)
    return tuple(_compare(arms[0], arm, index, confidence) for index, arm in enumerate(arms) if index)


def _small(control: MeanArm, variant: MeanArm, index: int) -> str | None:
    if control.n < 2:
        return "The control (A) needs at least 2 users to estimate its spread."
    if variant.n < 2:
        return f"Variant {label(index)} needs at least 2 users to estimate its spread."
    return None


def _compare(control: MeanArm, variant: MeanArm, index: int, confidence: float) -> Comparison:
    reason = _small(control, variant, index)
    if reason:
        return Comparison(variant=index, control=0, absolute=Estimate.undefined(WELCH_CI, reason),
                          relative=Estimate.undefined(RATIO_DELTA, reason),
                          test=TestResult(None, None, WELCH_TEST, reason))
    m0, m1 = _mean(control), _mean(variant)
    s0, s1 = _var(control) / control.n, _var(variant) / variant.n  # squared standard errors
    diff = m1 - m0
    if s0 + s1 == 0:
        why = "Every value is the same within each variant, so there is no spread to test against."
        return Comparison(variant=index, control=0, absolute=Estimate(diff, None, None, WELCH_CI, why),
                          relative=Estimate.undefined(RATIO_DELTA, why), test=TestResult(None, None, WELCH_TEST, why))
    se = math.sqrt(s0 + s1)
    df = (s0 + s1) ** 2 / (s0 * s0 / (control.n - 1) + s1 * s1 / (variant.n - 1))
    statistic = diff / se
    half = float(t.isf((1 - confidence) / 2, df)) * se
    test = TestResult(statistic, float(2 * t.sf(abs(statistic), df)), WELCH_TEST, degrees_of_freedom=df)
    return Comparison(variant=index, control=0, absolute=Estimate(diff, diff - half, diff + half, WELCH_CI),
                      relative=_relative(m0, m1, s0, s1, confidence), test=test)


def _relative(m0: float, m1: float, s0: float, s1: float, confidence: float) -> Estimate:
    """m1/m0 − 1 with Var ≈ s1/m0² + m1²·s0/m0⁴ (first-order Taylor expansion of the ratio)."""
    if m0 == 0:
        return Estimate.undefined(RATIO_DELTA, "The control's mean is 0, so a relative change is undefined.")
    ratio = m1 / m0
    se = math.sqrt(s1 / m0**2 + m1**2 * s0 / m0**4)
    half = float(norm.isf((1 - confidence) / 2)) * se
    return Estimate(ratio - 1, ratio - 1 - half, ratio - 1 + half, RATIO_DELTA)


def _mean(arm: MeanArm) -> float:
    return arm.total / arm.n


def _var(arm: MeanArm) -> float:
    variance = arm.variance
    assert variance is not None  # callers check n ≥ 2 first
    return variance
