"""Sample-ratio mismatch against scipy's chi-square, and the sample-size calculator against statsmodels."""

from __future__ import annotations

import pytest
from scipy.stats import chisquare
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from kempen.stats import StatsInputError, sample_ratio_mismatch, sample_size_means, sample_size_proportions


@pytest.mark.parametrize(("users", "split"), [
    ([10_000, 10_000], None), ([10_000, 10_400], [50, 50]), ([9_000, 1_100], [90, 10]),
    ([3_300, 3_350, 3_100], None), ([5, 9], [1, 1]),
])
def test_srm_matches_scipy(users: list[int], split: list[float] | None) -> None:
    result = sample_ratio_mismatch(users, split)
    total = sum(users)
    shares = [1 / len(users)] * len(users) if split is None else [w / sum(split) for w in split]
    expected = chisquare(users, [total * share for share in shares])
    assert result.p_value == pytest.approx(expected.pvalue, abs=1e-12)
    assert result.mismatch is bool(expected.pvalue < 0.001)


def test_srm_flags_a_broken_split() -> None:
    assert sample_ratio_mismatch([10_000, 10_400]).mismatch is False  # p ≈ 0.005: suspicious, not flagged
    flagged = sample_ratio_mismatch([10_000, 10_600])
    assert flagged.mismatch is True and flagged.p_value is not None and flagged.p_value < 0.001


def test_srm_without_users_is_undefined() -> None:
    result = sample_ratio_mismatch([0, 0])
    assert result.p_value is None and result.mismatch is False and result.reason


@pytest.mark.parametrize("split", [[50], [50, 0], [50, -50], [float("nan"), 1]])
def test_srm_refuses_a_bad_split(split: list[float]) -> None:
    with pytest.raises(StatsInputError):
        sample_ratio_mismatch([10, 10], split)


# (baseline, mde, relative, alpha, power, split)
PROPORTION_CASES = [
    (0.05, 0.01, False, 0.05, 0.8, None),
    (0.05, 0.10, True, 0.05, 0.8, None),
    (0.20, -0.02, False, 0.01, 0.9, None),
    (0.02, 0.25, True, 0.10, 0.8, [80, 20]),
    (0.50, 0.001, False, 0.05, 0.95, [1, 3]),
    (0.001, 1.0, True, 0.05, 0.8, None),
]


@pytest.mark.parametrize(("baseline", "mde", "relative", "alpha", "power", "split"), PROPORTION_CASES)
def test_proportion_sample_size_matches_statsmodels(baseline: float, mde: float, relative: bool, alpha: float,
                                                    power: float, split: list[float] | None) -> None:
    result = sample_size_proportions(baseline, mde, relative=relative, alpha=alpha, power=power, split=split)
    target = baseline * (1 + mde) if relative else baseline + mde
    ratio = 1.0 if split is None else split[1] / split[0]
    effect = proportion_effectsize(target, baseline)
    expected = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=ratio)
    assert result.control_exact == pytest.approx(expected, rel=1e-6)
    assert result.per_variant[0] == pytest.approx(expected, abs=1)
    assert result.per_variant[0] >= expected
    achieved = NormalIndPower().power(effect, result.per_variant[0], alpha, ratio=result.per_variant[1] / result.per_variant[0])
    assert achieved >= power - 1e-9
    assert result.total == sum(result.per_variant)


def test_the_issue_example() -> None:
    result = sample_size_proportions(0.05, 0.01)
    assert result.per_variant == (8_143, 8_143) and result.total == 16_286


def test_more_variants_size_each_comparison_with_the_control() -> None:
    two = sample_size_proportions(0.05, 0.01)
    four = sample_size_proportions(0.05, 0.01, variants=4)
    assert four.per_variant == two.per_variant[:1] * 4 and four.total == 4 * two.per_variant[0]


@pytest.mark.parametrize(("sd", "mde", "baseline_mean", "relative", "alpha", "power"), [
    (20.0, 1.0, None, False, 0.05, 0.8), (35.0, 0.05, 4.2, True, 0.05, 0.9), (3.0, -0.5, None, False, 0.01, 0.8),
])
def test_mean_sample_size_matches_statsmodels(sd: float, mde: float, baseline_mean: float | None, relative: bool,
                                              alpha: float, power: float) -> None:
    result = sample_size_means(sd, mde, baseline_mean=baseline_mean, relative=relative, alpha=alpha, power=power)
    difference = mde * baseline_mean if relative and baseline_mean else mde
    expected = NormalIndPower().solve_power(effect_size=difference / sd, alpha=alpha, power=power, ratio=1)
    assert result.control_exact == pytest.approx(expected, rel=1e-6)
    assert result.per_variant == (result.per_variant[0],) * 2 and result.per_variant[0] >= expected


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"baseline": 0.0, "mde": 0.01}, "baseline rate"),
    ({"baseline": 1.2, "mde": 0.01}, "baseline rate"),
    ({"baseline": 0.5, "mde": 0.6}, "within 0–1"),
    ({"baseline": 0.5, "mde": 0.0}, "must differ"),
    ({"baseline": 0.05, "mde": 0.01, "alpha": 0.0}, "alpha"),
    ({"baseline": 0.05, "mde": 0.01, "power": 1.0}, "power"),
    ({"baseline": 0.05, "mde": 0.01, "power": 0.01}, "power"),
    ({"baseline": 0.05, "mde": 0.01, "variants": 1}, "variants"),
    ({"baseline": 0.05, "mde": 0.01, "variants": 3, "split": [1, 1]}, "split has 2 shares"),
])
def test_sample_size_refuses_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(StatsInputError, match=message):
        sample_size_proportions(**kwargs)


def test_mean_sample_size_refuses_bad_input() -> None:
    with pytest.raises(StatsInputError, match="standard deviation"):
        sample_size_means(0.0, 1.0)
    with pytest.raises(StatsInputError, match="baseline mean"):
        sample_size_means(10.0, 0.1, relative=True)
