"""Holdout and variant assignment: exact sizes, deterministic per campaign, independent draws."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kempen.delivery.audience import assign_variants, holdout_size, pick_holdout, split_counts


def test_holdout_size_rounds_half_up() -> None:
    assert holdout_size(1000, Decimal("10")) == 100
    assert holdout_size(15, Decimal("10")) == 2   # 1.5 -> 2
    assert holdout_size(14, Decimal("10")) == 1   # 1.4 -> 1
    assert holdout_size(3, Decimal("12.5")) == 0  # 0.375
    assert holdout_size(0, Decimal("50")) == 0


def test_holdout_is_exact_and_deterministic_per_campaign() -> None:
    members = np.arange(1, 10_001, dtype=np.int64) * 3
    recipients, holdout = pick_holdout(members, Decimal("7.5"), campaign_id=42)
    assert len(holdout) == 750 and len(recipients) == 9_250
    assert set(recipients.tolist()).isdisjoint(holdout.tolist())
    assert sorted(recipients.tolist() + holdout.tolist()) == members.tolist()
    again_recipients, again_holdout = pick_holdout(members, Decimal("7.5"), campaign_id=42)
    assert again_holdout.tolist() == holdout.tolist()
    _, other = pick_holdout(members, Decimal("7.5"), campaign_id=43)
    assert other.tolist() != holdout.tolist()


@given(total=st.integers(0, 5000), percents=st.lists(st.integers(0, 100), min_size=1, max_size=6))
def test_split_counts_add_up_and_stay_within_one_of_exact(total: int, percents: list[int]) -> None:
    counts = split_counts(total, percents)
    weight = sum(percents)
    if weight == 0:
        assert counts == [0] * len(percents)
        return
    assert sum(counts) == total
    for count, percent in zip(counts, percents, strict=True):
        assert abs(count - total * percent / weight) < 1


def test_variants_get_exact_shares_shuffled_and_independent_of_holdout() -> None:
    labels = assign_variants(1001, [50, 30, 20], campaign_id=7, message_id=3)
    assert np.bincount(labels).tolist() == [501, 300, 200]  # 500.5 -> the remainder to the first
    assert labels[:50].tolist() != sorted(labels[:50].tolist())  # shuffled, not in blocks
    assert assign_variants(1001, [50, 30, 20], campaign_id=7, message_id=3).tolist() == labels.tolist()
    # Two messages of one campaign draw independently.
    assert assign_variants(1001, [50, 30, 20], campaign_id=7, message_id=4).tolist() != labels.tolist()
