"""How many users each variant needs to detect a given difference, before the test is launched."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy.optimize import brentq
from scipy.stats import norm

from kempen.stats.srm import normalise_split
from kempen.stats.types import MAX_VARIANTS, StatsInputError

PROPORTION_METHOD = "two-sided z-test power on Cohen's h = 2·asin√p₁ − 2·asin√p₀ (as statsmodels NormalIndPower)"
MEAN_METHOD = "two-sided z-test power on d = difference / standard deviation (as statsmodels NormalIndPower)"


@dataclass(frozen=True)
class SampleSize:
    """Users needed per variant (control first) and in total; `control_exact` is the unrounded control size."""

    per_variant: tuple[int, ...]
    total: int
    effect_size: float
    control_exact: float
    difference: float
    alpha: float
    power: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)


def _check(alpha: float, power: float, variants: int) -> None:
    if not 0 < alpha < 1:
        raise StatsInputError(f"alpha must be between 0 and 1, e.g. 0.05 (got {alpha}).")
    if not alpha < power < 1:
        raise StatsInputError(f"power must be above alpha and below 1, e.g. 0.8 (got {power}).")
    if not 2 <= variants <= MAX_VARIANTS:
        raise StatsInputError(f"The number of variants must be between 2 and {MAX_VARIANTS} (got {variants}).")


def _power(effect: float, nobs: float, alpha: float) -> float:
    """Power of the two-sided z-test at an effective sample size 1 / (1/n₀ + 1/n₁), both tails counted."""
    crit, shift = norm.isf(alpha / 2), abs(effect) * math.sqrt(nobs)
    return float(norm.sf(crit - shift) + norm.cdf(-crit - shift))


def _effective_nobs(effect: float, alpha: float, power: float) -> float:
    # One-tail formula first: it ignores the far tail, so it is an upper bound of the root.
    upper = ((norm.isf(alpha / 2) + norm.ppf(power)) / abs(effect)) ** 2
    if _power(effect, upper, alpha) - power <= 0:
        return upper
    return float(brentq(lambda n: _power(effect, n, alpha) - power, upper * 1e-6, upper, xtol=1e-12, rtol=1e-15))


def _solve(effect: float, difference: float, alpha: float, power: float, shares: Sequence[float],
           method: str) -> SampleSize:
    """Size every comparison with the control; the total is set by the comparison that needs most."""
    nobs = _effective_nobs(effect, alpha, power)
    control_needed = [nobs * (1 + shares[i] / shares[0]) / (shares[i] / shares[0]) for i in range(1, len(shares))]
    control = max(control_needed)
    total = control / shares[0]
    # Round up, with a margin for the float noise of total × share landing just above a whole number.
    per_variant = tuple(math.ceil(total * share - 1e-9) for share in shares)
    return SampleSize(per_variant, sum(per_variant), effect, control, difference, alpha, power, method)


def sample_size_proportions(baseline: float, mde: float, *, relative: bool = False, alpha: float = 0.05,
                            power: float = 0.8, variants: int = 2,
                            split: Sequence[float] | None = None) -> SampleSize:
    """Users per variant to detect a rate change of `mde` (points, or a share of `baseline` when relative)."""
    _check(alpha, power, variants)
    if not 0 < baseline < 1:
        raise StatsInputError(f"The baseline rate must be between 0 and 1, e.g. 0.05 for 5% (got {baseline}).")
    target = baseline * (1 + mde) if relative else baseline + mde
    if mde == 0 or not math.isfinite(target) or not 0 <= target <= 1:
        raise StatsInputError(f"The expected rate {target:.6g} must differ from the baseline and lie within 0–1; "
                              "check --mde (and --relative).")
    effect = 2 * math.asin(math.sqrt(target)) - 2 * math.asin(math.sqrt(baseline))
    return _solve(effect, target - baseline, alpha, power, normalise_split(split, variants), PROPORTION_METHOD)


def sample_size_means(std_dev: float, mde: float, *, baseline_mean: float | None = None, relative: bool = False,
                      alpha: float = 0.05, power: float = 0.8, variants: int = 2,
                      split: Sequence[float] | None = None) -> SampleSize:
    """Users per variant to detect a change of the mean of `mde` (or a share of `baseline_mean` when relative)."""
    _check(alpha, power, variants)
    if not (math.isfinite(std_dev) and std_dev > 0):
        raise StatsInputError(f"The standard deviation must be a positive number (got {std_dev}).")
    if relative and (baseline_mean is None or baseline_mean == 0):
        raise StatsInputError("A relative effect needs the baseline mean (not 0).")
    difference = mde * baseline_mean if relative and baseline_mean is not None else mde
    if difference == 0 or not math.isfinite(difference):
        raise StatsInputError("The minimum detectable effect must be a number other than 0.")
    return _solve(difference / std_dev, difference, alpha, power, normalise_split(split, variants), MEAN_METHOD)
