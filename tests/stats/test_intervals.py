"""One variant's interval against statsmodels: Wilson for a rate, Student's t for a mean per user."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from kempen.stats import MeanArm, ProportionArm, StatsInputError, mean_interval, proportion_interval

# (users, conversions, confidence): tiny and large samples, zero and all conversions, other levels
PROPORTIONS = [
    (10_000, 1_000, 0.95),
    (10_000, 1_100, 0.95),
    (7, 1, 0.95),
    (5, 3, 0.90),
    (1_000, 0, 0.95),
    (60, 60, 0.95),
    (1, 0, 0.95),
    (1, 1, 0.99),
    (10_000_000, 1_003_000, 0.99),
    (2_000_000_000, 21_010_000, 0.95),
    (120, 2, 0.80),
]


@pytest.mark.parametrize(("n", "x", "confidence"), PROPORTIONS)
def test_wilson_agrees_with_statsmodels(n: int, x: int, confidence: float) -> None:
    found = proportion_interval(ProportionArm(n, x), confidence=confidence)
    low, high = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    assert found.estimate == pytest.approx(x / n, abs=1e-12)
    assert (found.low, found.high) == pytest.approx((low, high), abs=1e-6)
    assert found.reason is None and "Wilson" in found.method


def test_wilson_stays_inside_zero_and_one() -> None:
    none = proportion_interval(ProportionArm(1_000, 0))
    every = proportion_interval(ProportionArm(1_000, 1_000))
    assert none.low == 0.0 and 0 < (none.high or 0) < 0.01
    assert every.high == 1.0 and 0.99 < (every.low or 0) < 1


def test_no_users_leave_the_rate_undefined() -> None:
    found = proportion_interval(ProportionArm(0, 0))
    assert found.estimate is None and found.low is None and found.reason == "No users yet."


def test_more_conversions_than_users_are_refused() -> None:
    with pytest.raises(StatsInputError, match="not between 0"):
        proportion_interval(ProportionArm(3, 4))


def _values() -> list[tuple[str, np.ndarray, float]]:
    rng = np.random.default_rng(7)
    revenue = np.where(rng.random(5_000) < 0.05, rng.lognormal(4, 0.8, 5_000), 0.0).round(2)
    return [
        ("two values", np.array([3.0, 5.0]), 0.95),
        ("small normal", rng.normal(10, 3, 12), 0.90),
        ("revenue per recipient", revenue, 0.95),
        ("large", rng.exponential(20, 300_000), 0.99),
    ]


@pytest.mark.parametrize(("name", "values", "confidence"), _values(), ids=[c[0] for c in _values()])
def test_t_interval_agrees_with_statsmodels(name: str, values: np.ndarray, confidence: float) -> None:
    arm = MeanArm(int(values.size), float(values.sum()), float((values * values).sum()))
    found = mean_interval(arm, confidence=confidence)
    low, high = DescrStatsW(values).tconfint_mean(alpha=1 - confidence)
    assert found.estimate == pytest.approx(values.mean(), abs=1e-9)
    assert (found.low, found.high) == pytest.approx((low, high), abs=1e-6)


def test_one_user_has_a_mean_but_no_interval() -> None:
    found = mean_interval(MeanArm(1, 12.5, 156.25))
    assert found.estimate == 12.5 and found.low is None and "spread" in (found.reason or "")


def test_equal_values_give_a_zero_width_interval() -> None:
    found = mean_interval(MeanArm(4, 0.0, 0.0))
    assert (found.estimate, found.low, found.high) == (0.0, 0.0, 0.0)


def test_no_users_leave_the_mean_undefined() -> None:
    assert mean_interval(MeanArm(0, 0.0, 0.0)).estimate is None
