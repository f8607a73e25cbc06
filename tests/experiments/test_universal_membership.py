"""Universal holdout membership: a pure function of (seed, contact id), checked against a plain-Python twin."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kempen.experiments.universal_holdout import (
    DRAW_BITS,
    MAX_SEED,
    _mix_int,
    draw_threshold,
    in_holdout,
    membership_draws,
)

GAMMA = 0x9E3779B97F4A7C15
MASK = 2**64 - 1
seeds = st.integers(min_value=0, max_value=MAX_SEED)
percents = st.decimals(min_value=Decimal("1"), max_value=Decimal("20"), places=2)


def reference_draw(seed: int, contact_id: int) -> int:
    """The same draw with Python's unbounded integers, one contact at a time."""
    return _mix_int((contact_id * GAMMA + _mix_int(seed)) & MASK) >> (64 - DRAW_BITS)


def test_mix_is_splitmix64() -> None:
    # Vigna's splitmix64.c seeded with 1234567: the published first three outputs.
    state, outputs = 1234567, []
    for _ in range(3):
        state = (state + GAMMA) & MASK
        outputs.append(_mix_int(state))
    assert outputs == [6457827717110365317, 3203168211198807973, 9817491932198370423]


@given(seed=seeds, ids=st.lists(st.integers(min_value=1, max_value=2**63 - 1), min_size=1, max_size=50))
def test_vectorised_draws_match_the_reference(seed: int, ids: list[int]) -> None:
    draws = membership_draws(seed, np.array(ids, dtype=np.int64))
    assert draws.tolist() == [reference_draw(seed, i) for i in ids]
    assert all(0 <= d < 2**DRAW_BITS for d in draws.tolist())


def test_threshold_is_exact() -> None:
    assert draw_threshold(Decimal("5")) == 2**DRAW_BITS // 20
    assert draw_threshold(Decimal("20")) == 2**DRAW_BITS // 5
    assert draw_threshold(Decimal("1.25")) == 125 * 2**DRAW_BITS // 10_000


@settings(max_examples=25, deadline=None)
@given(seed=seeds, percent=percents, start=st.integers(min_value=1, max_value=10**12))
def test_share_is_close_to_percent(seed: int, percent: Decimal, start: int) -> None:
    n = 200_000
    share = in_holdout(seed, percent, np.arange(start, start + n, dtype=np.int64)).mean()
    p = float(percent) / 100
    # Five standard errors: a false alarm about once in 3.5 million runs.
    assert abs(share - p) < 5 * (p * (1 - p) / n) ** 0.5


@given(seed=seeds, percent=percents)
def test_membership_is_deterministic_and_monotonic_in_percent(seed: int, percent: Decimal) -> None:
    ids = np.arange(1, 5_001, dtype=np.int64)
    first = in_holdout(seed, percent, ids)
    assert np.array_equal(first, in_holdout(seed, percent, ids.copy()))
    # A larger share holds out everyone a smaller share did (the draw is compared with a threshold).
    assert not (first & ~in_holdout(seed, percent + Decimal("1"), ids)).any()
    # Whether a contact is held out does not depend on which other ids are asked about.
    assert np.array_equal(first[::7], in_holdout(seed, percent, ids[::7]))


@settings(max_examples=25, deadline=None)
@given(a=seeds, b=seeds)
def test_different_seeds_draw_independent_groups(a: int, b: int) -> None:
    if a == b:
        return
    ids = np.arange(1, 100_001, dtype=np.int64)
    first, second = in_holdout(a, Decimal("10"), ids), in_holdout(b, Decimal("10"), ids)
    assert not np.array_equal(first, second)
    # Independent draws overlap on p² of the contacts (1 %), not on p (10 %) as the same group would.
    both = (first & second).mean()
    assert abs(both - 0.01) < 5 * (0.01 * 0.99 / len(ids)) ** 0.5


def test_neighbouring_ids_are_not_correlated() -> None:
    held = in_holdout(42, Decimal("5"), np.arange(1, 400_001, dtype=np.int64))
    # Consecutive ids (contacts imported together) should be held out independently of each other.
    both = (held[1:] & held[:-1]).mean()
    assert abs(both - 0.0025) < 5 * (0.0025 / len(held)) ** 0.5
