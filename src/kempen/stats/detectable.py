"""The other way round from the sample size: the smallest rate change a given number of users can detect."""

from __future__ import annotations

import math

from scipy.optimize import brentq
from scipy.stats import norm

from kempen.stats.sample_size import _power
from kempen.stats.types import StatsInputError


def detectable_effect(control_users: int, variant_users: int, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The effect size (Cohen's h or d) a two-sided z-test detects with `power` at these sizes.

    The inverse of statsmodels' NormalIndPower.solve_power for the effect size, both tails counted.
    """
    if not 0 < alpha < 1 or not alpha < power < 1:
        raise StatsInputError("alpha must be between 0 and 1 and power between alpha and 1.")
    if control_users < 1 or variant_users < 1:
        raise StatsInputError("Each variant needs at least one user.")
    nobs = 1 / (1 / control_users + 1 / variant_users)
    # The one-tail formula ignores the far tail, so its effect reaches the power at least: an upper bracket.
    upper = (norm.isf(alpha / 2) + norm.ppf(power)) / math.sqrt(nobs)
    if _power(upper, nobs, alpha) - power <= 0:
        return float(upper)
    return float(brentq(lambda h: _power(h, nobs, alpha) - power, upper * 1e-6, upper, xtol=1e-14, rtol=1e-15))


def detectable_rate(baseline: float, control_users: int, variant_users: int, *, alpha: float = 0.05,
                    power: float = 0.8) -> float:
    """The rate above `baseline` that these sizes detect with `power` (1.0 when even 100% is too close)."""
    if not 0 < baseline < 1:
        raise StatsInputError(f"The baseline rate must be between 0 and 1, e.g. 0.05 for 5% (got {baseline}).")
    effect = detectable_effect(control_users, variant_users, alpha=alpha, power=power)
    angle = math.asin(math.sqrt(baseline)) + effect / 2  # Cohen's h = 2·asin√p₁ − 2·asin√p₀
    return 1.0 if angle >= math.pi / 2 else math.sin(angle) ** 2
