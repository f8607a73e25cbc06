"""Rule-based models on hand-checked paths, and the properties every split must have."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kempen.attribution.rules import (
    RULE_MODELS,
    Touch,
    credit_path,
    position_weights,
    rule_weights,
    step_ages,
)
from kempen.attribution.types import AttributionModel

AT = datetime(2026, 1, 20, tzinfo=UTC)


def path(*days_before: float) -> list[Touch]:
    return [Touch(f"t{i}", AT - timedelta(days=d)) for i, d in enumerate(days_before)]


def test_last_and_first_touch() -> None:
    assert rule_weights(AttributionModel.LAST_TOUCH, [3, 2, 1]) == (0, 0, 1)
    assert rule_weights(AttributionModel.FIRST_TOUCH, [3, 2, 1]) == (1, 0, 0)


def test_linear_splits_evenly() -> None:
    assert rule_weights(AttributionModel.LINEAR, [4, 3, 2, 1]) == (0.25, 0.25, 0.25, 0.25)


def test_position_based_40_20_40() -> None:
    assert position_weights(1) == (1.0,)
    assert position_weights(2) == (0.5, 0.5)
    assert position_weights(3) == pytest.approx((0.4, 0.2, 0.4))
    assert position_weights(5) == pytest.approx((0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4))


def test_time_decay_halves_the_weight_every_half_life() -> None:
    # Ages 14, 7 and 0 days with a 7-day half-life: raw weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7.
    assert rule_weights(AttributionModel.TIME_DECAY, [14, 7, 0]) == pytest.approx((1 / 7, 2 / 7, 4 / 7))
    # A 1-day half-life over the same ages: 2^-14, 2^-7, 1.
    raw = (2 ** -14, 2 ** -7, 1)
    assert rule_weights(AttributionModel.TIME_DECAY, [14, 7, 0], half_life_days=1) == pytest.approx(
        tuple(w / sum(raw) for w in raw))


def test_time_decay_of_very_old_touches_still_sums_to_one() -> None:
    assert sum(rule_weights(AttributionModel.TIME_DECAY, [20_000, 19_000], half_life_days=0.5)) == pytest.approx(1)


def test_credit_path_sorts_by_time_and_splits_the_value() -> None:
    touches = path(0.5, 10, 2)  # given out of order
    credits = credit_path(touches, model=AttributionModel.POSITION_BASED, converted_at=AT, value=50.0)
    assert [c.key for c in credits] == ["t1", "t2", "t0"]
    assert [c.value for c in credits] == pytest.approx([20.0, 10.0, 20.0])


def test_step_ages_put_the_last_touch_at_the_conversion() -> None:
    assert step_ages(3) == (2.0, 1.0, 0.0)


def test_markov_is_not_a_rule() -> None:
    with pytest.raises(ValueError):
        rule_weights(AttributionModel.MARKOV, [1])


ages = st.lists(st.floats(min_value=0, max_value=60, allow_nan=False), min_size=1, max_size=12)


@given(model=st.sampled_from(RULE_MODELS), ages=ages)
def test_every_rule_split_is_nonnegative_and_sums_to_one(model: AttributionModel, ages: list[float]) -> None:
    weights = rule_weights(model, sorted(ages, reverse=True))
    assert len(weights) == len(ages)
    assert all(w >= 0 for w in weights)
    assert sum(weights) == pytest.approx(1.0)


@given(ages=ages)
def test_time_decay_never_favours_an_older_touch(ages: list[float]) -> None:
    ordered = sorted(ages, reverse=True)
    weights = rule_weights(AttributionModel.TIME_DECAY, ordered)
    assert all(a <= b + 1e-12 for a, b in zip(weights, weights[1:], strict=False))
