"""One variant's own figure with its interval: a rate (Wilson) or a mean per user (Student's t)."""

from __future__ import annotations

import math

from scipy.stats import t

from kempen.stats.types import (
    Estimate,
    MeanArm,
    ProportionArm,
    StatsInputError,
    check_confidence,
    z_quantile,
)

WILSON = "Wilson score interval"
T_MEAN = "mean, Student's t interval (n − 1 degrees of freedom)"


def proportion_interval(arm: ProportionArm, *, confidence: float = 0.95) -> Estimate:
    """The rate with its Wilson score interval (as statsmodels' proportion_confint(method="wilson")).

    Wilson rather than Wald: it stays inside 0–1 and keeps its coverage at rates near 0 % or 100 %
    and in small samples, which is where e-mail click and conversion rates live.
    """
    check_confidence(confidence)
    if arm.n <= 0:
        return Estimate.undefined(WILSON, "No users yet.")
    if not 0 <= arm.conversions <= arm.n:
        raise StatsInputError(f"{arm.conversions} conversions is not between 0 and the {arm.n} users.")
    z = z_quantile(confidence)
    n, x, z2 = arm.n, arm.conversions, z * z
    centre = (x + z2 / 2) / (n + z2)
    half = z / (n + z2) * math.sqrt(x * (n - x) / n + z2 / 4)
    return Estimate(x / n, max(centre - half, 0.0), min(centre + half, 1.0), WILSON)


def mean_interval(arm: MeanArm, *, confidence: float = 0.95) -> Estimate:
    """The mean per user with its t interval, from n, the sum and the sum of squares."""
    check_confidence(confidence)
    if arm.n <= 0:
        return Estimate.undefined(T_MEAN, "No users yet.")
    mean = arm.total / arm.n
    variance = arm.variance
    if variance is None:
        return Estimate(mean, None, None, T_MEAN, "One user is not enough to estimate the spread.")
    half = float(t.isf((1 - confidence) / 2, arm.n - 1)) * math.sqrt(variance / arm.n)
    return Estimate(mean, mean - half, mean + half, T_MEAN)
