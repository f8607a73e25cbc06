"""The smallest detectable effect against statsmodels' NormalIndPower, and as the inverse of the sample size."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower

from kempen.stats import StatsInputError, sample_size_proportions
from kempen.stats.detectable import detectable_effect, detectable_rate


@pytest.mark.parametrize(("n0", "n1", "alpha", "power"), [
    (1_000, 1_000, 0.05, 0.8), (500, 4_500, 0.05, 0.9), (20, 25, 0.10, 0.8), (2_000_000, 2_000_000, 0.01, 0.95),
    (3, 3, 0.05, 0.5)])
def test_effect_agrees_with_statsmodels(n0: int, n1: int, alpha: float, power: float) -> None:
    expected = NormalIndPower().solve_power(effect_size=None, nobs1=n0, ratio=n1 / n0, alpha=alpha, power=power,
                                            alternative="two-sided")
    assert detectable_effect(n0, n1, alpha=alpha, power=power) == pytest.approx(expected, abs=1e-6)


def test_rate_is_the_inverse_of_the_sample_size() -> None:
    plan = sample_size_proportions(0.05, 0.01)
    n = plan.per_variant[0]
    found = detectable_rate(0.05, n, n)
    # n was rounded up, so n users detect a change a little below one point, and n − 1 users a little above.
    assert 0.0599 < found <= 0.06
    assert detectable_rate(0.05, n - 1, n - 1) > 0.06 - 1e-6
    effect = 2 * math.asin(math.sqrt(found)) - 2 * math.asin(math.sqrt(0.05))
    assert effect == pytest.approx(detectable_effect(n, n), abs=1e-12)


def test_tiny_audiences_cannot_detect_anything_below_100_percent() -> None:
    assert detectable_rate(0.9, 2, 2) == 1.0


@pytest.mark.parametrize(("baseline", "n0", "n1"), [(0, 10, 10), (1.2, 10, 10), (0.05, 0, 10)])
def test_bad_input(baseline: float, n0: int, n1: int) -> None:
    with pytest.raises(StatsInputError):
        detectable_rate(baseline, n0, n1)
