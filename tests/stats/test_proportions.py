"""Rates against statsmodels on a table of cases: Wald difference, log-ratio lift, pooled z-test."""

from __future__ import annotations

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from kempen.stats import ProportionArm, compare_proportions

# (control users, control conversions, variant users, variant conversions, confidence)
CASES = [
    (10_000, 1_000, 10_000, 1_100, 0.95),  # the issue's example
    (5_000, 260, 15_000, 700, 0.95),  # unequal split 25/75
    (7, 1, 5, 3, 0.95),  # tiny
    (30, 2, 31, 9, 0.90),
    (10_000_000, 1_000_000, 10_000_000, 1_003_000, 0.99),  # very large
    (2_000_000_000, 21_000_000, 2_000_000_000, 21_010_000, 0.95),  # billions
    (1_000, 5, 1_000, 1, 0.95),  # rare events
    (50, 50, 60, 59, 0.95),  # every control user converted
    (120, 119, 80, 2, 0.80),
]


@pytest.mark.parametrize(("n0", "x0", "n1", "x1", "confidence"), CASES)
def test_agrees_with_statsmodels(n0: int, x0: int, n1: int, x1: int, confidence: float) -> None:
    (result,) = compare_proportions([ProportionArm(n0, x0), ProportionArm(n1, x1)], confidence=confidence)
    alpha = 1 - confidence
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff", alpha=alpha)
    assert result.absolute.estimate == pytest.approx(x1 / n1 - x0 / n0, abs=1e-12)
    assert (result.absolute.low, result.absolute.high) == pytest.approx((low, high), abs=1e-6)
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio", alpha=alpha)
    assert result.relative.estimate == pytest.approx((x1 / n1) / (x0 / n0) - 1, abs=1e-12)
    assert (result.relative.low, result.relative.high) == pytest.approx((low - 1, high - 1), abs=1e-6)
    statistic, p_value = proportions_ztest([x1, x0], [n1, n0])
    assert result.test.statistic == pytest.approx(statistic, abs=1e-6)
    assert result.test.p_value == pytest.approx(p_value, abs=1e-6)
    assert result.absolute.reason is result.relative.reason is result.test.reason is None


def test_issue_example_figures() -> None:
    (result,) = compare_proportions([ProportionArm(10_000, 1_000), ProportionArm(10_000, 1_100)])
    assert result.test.p_value == pytest.approx(0.02108, abs=1e-5)
    assert result.absolute.low == pytest.approx(0.001504, abs=1e-6)
    assert "Wald" in result.absolute.method and "pooled" in result.test.method and "log ratio" in result.relative.method


def test_zero_conversions_in_the_control_leave_the_lift_undefined() -> None:
    (result,) = compare_proportions([ProportionArm(1_000, 0), ProportionArm(1_000, 6)])
    low, high = confint_proportions_2indep(6, 1_000, 0, 1_000, method="wald", compare="diff")
    assert (result.absolute.low, result.absolute.high) == pytest.approx((low, high), abs=1e-9)
    assert result.relative.estimate is None and result.relative.low is None
    assert "no conversions" in (result.relative.reason or "")
    statistic, p_value = proportions_ztest([6, 0], [1_000, 1_000])
    assert result.test.p_value == pytest.approx(p_value, abs=1e-9)


def test_zero_conversions_in_the_variant_give_a_lift_of_minus_one_without_interval() -> None:
    (result,) = compare_proportions([ProportionArm(1_000, 5), ProportionArm(1_000, 0)])
    assert result.relative.estimate == -1
    assert result.relative.low is None and "Variant B has no conversions" in (result.relative.reason or "")


@pytest.mark.parametrize(("x0", "x1", "word"), [(0, 0, "no user converted"), (40, 70, "every user converted")])
def test_no_variation_means_no_test(x0: int, x1: int, word: str) -> None:
    (result,) = compare_proportions([ProportionArm(x0 or 40, x0), ProportionArm(x1 or 70, x1)])
    assert result.absolute.estimate == 0
    assert result.absolute.low is None and result.absolute.reason
    assert result.test.p_value is None and word in (result.test.reason or "")


def test_no_users_is_undefined_not_nan() -> None:
    first, second = compare_proportions([ProportionArm(0, 0), ProportionArm(10, 2), ProportionArm(0, 0)])
    assert first.absolute.estimate is None and "control (A) has no users" in (first.absolute.reason or "")
    assert second.test.p_value is None and second.relative.reason


def test_every_variant_is_compared_with_the_first() -> None:
    results = compare_proportions([ProportionArm(1_000, 100), ProportionArm(1_000, 120), ProportionArm(1_000, 90)])
    assert [(r.control, r.variant) for r in results] == [(0, 1), (0, 2)]
    assert results[0].absolute.estimate == pytest.approx(0.02) and results[1].absolute.estimate == pytest.approx(-0.01)
