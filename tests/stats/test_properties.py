"""Properties that hold for any counts: swapping variants mirrors results, probabilities sum to 1, intervals
contain their estimates, and nothing is ever NaN."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kempen.stats import (
    Estimate,
    MeanArm,
    ProportionArm,
    analyse_means,
    analyse_proportions,
    compare_means,
    compare_proportions,
    probability_best_means,
    probability_best_proportions,
)


def _contains(estimate: Estimate) -> None:
    if estimate.low is None or estimate.high is None or estimate.estimate is None:
        assert estimate.reason
    else:
        assert estimate.low <= estimate.estimate <= estimate.high


@st.composite
def proportion_arm(draw: st.DrawFn, max_n: int = 10**7) -> ProportionArm:
    n = draw(st.integers(0, max_n))
    return ProportionArm(n, draw(st.integers(0, n)))


@st.composite
def mean_arm(draw: st.DrawFn) -> MeanArm:
    values = draw(st.lists(st.floats(0, 1_000, allow_nan=False).map(lambda v: round(v, 2)), min_size=0, max_size=40))
    repeat = draw(st.integers(1, 1_000))  # scale n up without drawing thousands of values
    return MeanArm(len(values) * repeat, sum(values) * repeat, sum(v * v for v in values) * repeat)


@settings(max_examples=150, deadline=None)
@given(proportion_arm(), proportion_arm())
def test_swapping_two_rates_mirrors_the_result(a: ProportionArm, b: ProportionArm) -> None:
    (forward,) = compare_proportions([a, b])
    (backward,) = compare_proportions([b, a])
    if forward.absolute.estimate is not None:
        assert backward.absolute.estimate == pytest.approx(-forward.absolute.estimate, abs=1e-12)
    if forward.absolute.low is not None and forward.absolute.high is not None:
        assert (backward.absolute.low, backward.absolute.high) == pytest.approx(
            (-forward.absolute.high, -forward.absolute.low), abs=1e-12)
    assert (forward.test.p_value is None) == (backward.test.p_value is None)
    if forward.test.p_value is not None:
        assert backward.test.p_value == pytest.approx(forward.test.p_value, abs=1e-12)
    p_ab = probability_best_proportions([a, b]).probabilities
    p_ba = probability_best_proportions([b, a]).probabilities
    assert p_ab is not None and p_ba is not None
    assert p_ab == pytest.approx(p_ba[::-1], abs=1e-7)


@settings(max_examples=100, deadline=None)
@given(mean_arm(), mean_arm())
def test_swapping_two_means_mirrors_the_result(a: MeanArm, b: MeanArm) -> None:
    (forward,) = compare_means([a, b])
    (backward,) = compare_means([b, a])
    if forward.absolute.high is not None:
        assert backward.absolute.low == pytest.approx(-forward.absolute.high, rel=1e-9, abs=1e-9)
    if forward.test.p_value is not None:
        assert backward.test.p_value == pytest.approx(forward.test.p_value, rel=1e-9, abs=1e-12)
    p_ab, p_ba = probability_best_means([a, b]).probabilities, probability_best_means([b, a]).probabilities
    assert (p_ab is None) == (p_ba is None)
    if p_ab is not None and p_ba is not None:
        assert p_ab == pytest.approx(p_ba[::-1], abs=1e-7)


@settings(max_examples=80, deadline=None)
@given(st.lists(proportion_arm(max_n=10**6), min_size=2, max_size=5))
def test_probabilities_to_be_best_sum_to_one(arms: list[ProportionArm]) -> None:
    probabilities = probability_best_proportions(arms).probabilities
    assert probabilities is not None and sum(probabilities) == pytest.approx(1, abs=1e-6)
    assert all(0 <= p <= 1 for p in probabilities)


@settings(max_examples=80, deadline=None)
@given(st.lists(mean_arm(), min_size=2, max_size=5))
def test_mean_probabilities_sum_to_one_when_defined(arms: list[MeanArm]) -> None:
    result = probability_best_means(arms)
    if any(arm.n < 2 for arm in arms):
        assert result.probabilities is None and result.reason
    else:
        assert result.probabilities is not None and sum(result.probabilities) == pytest.approx(1, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(st.lists(proportion_arm(), min_size=2, max_size=4), st.floats(0.5, 0.999))
def test_rate_intervals_contain_their_estimates_and_json_has_no_nan(arms: list[ProportionArm], confidence: float) -> None:
    result = analyse_proportions([a.n for a in arms], [a.conversions for a in arms], confidence=confidence)
    for comparison in result.comparisons:
        for estimate in (comparison.absolute, comparison.relative):
            _contains(estimate)
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(mean_arm(), min_size=2, max_size=4))
def test_mean_intervals_contain_their_estimates_and_json_has_no_nan(arms: list[MeanArm]) -> None:
    result = analyse_means([a.n for a in arms], [a.total for a in arms], [a.total_squares for a in arms])
    for comparison in result.comparisons:
        for estimate in (comparison.absolute, comparison.relative):
            _contains(estimate)
    json.dumps(result.to_dict(), allow_nan=False)
