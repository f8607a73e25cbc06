"""Per-user values against scipy (Welch's t-test) and statsmodels (Welch–Satterthwaite interval)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm, ttest_ind_from_stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from kempen.stats import MeanArm, compare_means

Values = np.ndarray


def _arm(values: Values) -> MeanArm:
    """Sufficient statistics as SQL computes them: COUNT, SUM, SUM of squares."""
    return MeanArm(int(values.size), float(values.sum()), float((values * values).sum()))


def _revenue(rng: np.random.Generator, n: int, buyers: float, scale: float) -> Values:
    """Mostly zeros, a few skewed order values: what revenue per recipient looks like."""
    return np.where(rng.random(n) < buyers, rng.lognormal(math.log(scale), 0.8, n), 0.0).round(2)


def _cases() -> list[tuple[str, Values, Values, float]]:
    rng = np.random.default_rng(20240611)
    return [
        ("tiny", np.array([3.0, 5.0]), np.array([1.0, 2.0, 9.0]), 0.95),
        ("small normal", rng.normal(10, 3, 12), rng.normal(12, 5, 9), 0.90),
        ("equal split revenue", _revenue(rng, 5_000, 0.05, 60), _revenue(rng, 5_000, 0.055, 60), 0.95),
        ("unequal split revenue", _revenue(rng, 2_000, 0.05, 60), _revenue(rng, 18_000, 0.05, 66), 0.95),
        ("large", _revenue(rng, 400_000, 0.03, 40), _revenue(rng, 400_000, 0.031, 40), 0.99),
        ("no buyer in control", np.zeros(300), _revenue(rng, 300, 0.05, 50), 0.95),
    ]


@pytest.mark.parametrize(("name", "control", "variant", "confidence"), _cases(), ids=[c[0] for c in _cases()])
def test_agrees_with_scipy_and_statsmodels(name: str, control: Values, variant: Values, confidence: float) -> None:
    (result,) = compare_means([_arm(control), _arm(variant)], confidence=confidence)
    expected = ttest_ind_from_stats(variant.mean(), variant.std(ddof=1), variant.size,
                                    control.mean(), control.std(ddof=1), control.size, equal_var=False)
    assert result.test.statistic == pytest.approx(expected.statistic, rel=1e-6, abs=1e-6)
    assert result.test.p_value == pytest.approx(expected.pvalue, abs=1e-6)
    low, high = CompareMeans(DescrStatsW(variant), DescrStatsW(control)).tconfint_diff(
        alpha=1 - confidence, usevar="unequal")
    assert (result.absolute.low, result.absolute.high) == pytest.approx((low, high), rel=1e-6, abs=1e-6)
    assert result.absolute.estimate == pytest.approx(variant.mean() - control.mean(), rel=1e-9, abs=1e-9)


def test_relative_interval_is_the_delta_method_of_the_ratio() -> None:
    control, variant = MeanArm(100, 500.0, 3_400.0), MeanArm(120, 720.0, 5_400.0)
    (result,) = compare_means([control, variant])
    m0, m1 = 5.0, 6.0
    v0, v1 = (3_400 - 500 * m0) / 99 / 100, (5_400 - 720 * m1) / 119 / 120  # squared standard errors
    se = math.sqrt(v1 / m0**2 + m1**2 * v0 / m0**4)
    z = norm.isf(0.025)
    assert result.relative.estimate == pytest.approx(0.2)
    assert (result.relative.low, result.relative.high) == pytest.approx((0.2 - z * se, 0.2 + z * se), rel=1e-12)
    assert "delta method" in result.relative.method


def test_fewer_than_two_users_is_undefined() -> None:
    (result,) = compare_means([MeanArm(1, 5.0, 25.0), MeanArm(10, 50.0, 300.0)])
    assert result.absolute.estimate is None and result.test.p_value is None
    assert "at least 2 users" in (result.absolute.reason or "")


def test_no_spread_anywhere_is_undefined() -> None:
    (result,) = compare_means([MeanArm(10, 0.0, 0.0), MeanArm(10, 0.0, 0.0)])
    assert result.absolute.estimate == 0 and result.absolute.low is None
    assert result.test.p_value is None and result.relative.reason


def test_control_mean_zero_leaves_only_the_lift_undefined() -> None:
    (result,) = compare_means([MeanArm(50, 0.0, 0.0), MeanArm(50, 100.0, 5_000.0)])
    assert result.relative.estimate is None and "mean is 0" in (result.relative.reason or "")
    assert result.test.p_value is not None and result.absolute.low is not None
