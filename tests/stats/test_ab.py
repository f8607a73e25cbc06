"""A whole A/B test in one call: the summary sentence, JSON without NaN, and readable refusals."""

from __future__ import annotations

import json

import pytest

from kempen.stats import StatsInputError, analyse_means, analyse_proportions


def test_issue_example_summary_and_json() -> None:
    result = analyse_proportions([10_000, 10_000], [1_000, 1_100])
    assert result.summary == "Variant B converts 1.0 points (10%) better than A; p = 0.021; 98.9% probability it is best."
    data = result.to_dict()
    (comparison,) = data["comparisons"]
    assert comparison["variant"] == "B" and comparison["control"] == "A"
    assert comparison["absolute"]["low"] == pytest.approx(0.0015040591, abs=1e-9)
    assert comparison["relative"]["estimate"] == pytest.approx(0.1)
    assert comparison["test"]["p_value"] == pytest.approx(0.0210752, abs=1e-6)
    assert comparison["probability_best"] == pytest.approx(0.98945735, abs=1e-7)
    assert data["srm"]["p_value"] == 1.0 and data["srm"]["mismatch"] is False


def test_worse_variant_and_three_variants() -> None:
    result = analyse_proportions([5_000, 5_000, 5_000], [500, 470, 520])
    assert result.summary.startswith("Variant C converts 0.4 points (4.0%) better than A; p = 0.5")
    result = analyse_proportions([5_000, 5_000], [500, 450])
    assert result.summary.startswith("Variant B converts 1.0 points (10%) worse than A; p = 0.08")


def test_means_summary() -> None:
    result = analyse_means([1_000, 1_000], [5_000.0, 5_600.0], [100_000.0, 120_000.0])
    assert result.summary.startswith("Variant B brings 0.60 more per user (12%) than A; p = ")
    assert result.variants[0].std_dev == pytest.approx(((100_000 - 5_000 * 5) / 999) ** 0.5)


def test_sample_ratio_mismatch_leads_the_summary() -> None:
    result = analyse_proportions([10_000, 11_000], [1_000, 1_100], split=[50, 50])
    assert result.srm.mismatch
    assert result.summary.startswith("Sample ratio mismatch (p < 0.001): the users are not split as planned")
    assert not analyse_proportions([10_000, 11_000], [1_000, 1_100], split=[10, 11]).srm.mismatch


@pytest.mark.parametrize("arguments", [
    ([0, 0], [0, 0]), ([0, 10], [0, 3]), ([10, 10], [0, 0]), ([10, 10], [10, 10]), ([1, 1], [0, 1]),
])
def test_edge_cases_give_json_without_nan(arguments: tuple[list[int], list[int]]) -> None:
    result = analyse_proportions(*arguments)
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert "summary" in text and result.summary.endswith(".")


def test_means_edge_cases_give_json_without_nan() -> None:
    for users, sums, squares in [([0, 0], [0, 0], [0, 0]), ([1, 5], [2, 10], [4, 30]), ([3, 3], [0, 0], [0, 0])]:
        result = analyse_means(users, sums, squares)
        json.dumps(result.to_dict(), allow_nan=False)
        assert result.summary


@pytest.mark.parametrize(("users", "conversions", "message"), [
    ([100], [10], "between 2 and 26"),
    ([100, 100], [10], "one value per variant"),
    ([100, 100], [10, 101], "101 conversions is more than its 100 users"),
    ([100, -1], [10, 0], "cannot be negative"),
    ([100, 100.5], [10, 1], "whole numbers"),
])
def test_bad_counts_are_refused_readably(users: list, conversions: list, message: str) -> None:
    with pytest.raises(StatsInputError, match=message):
        analyse_proportions(users, conversions)


def test_bad_means_and_confidence_are_refused() -> None:
    with pytest.raises(StatsInputError, match="sum of squares is too small"):
        analyse_means([10, 10], [100.0, 100.0], [10.0, 2_000.0])
    with pytest.raises(StatsInputError, match="confidence"):
        analyse_proportions([10, 10], [1, 2], confidence=95)


def test_absurd_sizes_are_refused_not_crashed() -> None:
    with pytest.raises(StatsInputError, match="not a real audience"):
        analyse_proportions([10**30, 10**30], [10**29, 10**29])
    with pytest.raises(StatsInputError, match="sensible size"):
        analyse_means([10, 10], [1e300, 1e300], [1e308, 1e308])


def test_largest_audience_still_works() -> None:
    result = analyse_proportions([10**12, 10**12], [10**11, 10**11 + 10**6])
    assert result.best.probabilities is not None and sum(result.best.probabilities) == pytest.approx(1, abs=1e-6)
    assert result.summary.startswith("Variant B converts 0.0001 points (0.001%) better than A; p = 0.018; 99.1% probability")
