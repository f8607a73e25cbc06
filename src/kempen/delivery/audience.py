"""Who of a campaign's audience is held out, and which variant of each message the others get.

Both choices are deterministic per campaign (seeded from its id, so relaunching a copy of the data
gives the same groups) and exact: the holdout is round(percent × audience) contacts, and each
variant gets its split percentage of the recipients to within one contact (largest remainders).
The two draws use independent seed streams, so changing the variants never changes the holdout.
With the automatic winner on, a third stream draws the test share that gets the variants first.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

IdArray = npt.NDArray[np.int64]
_HOLDOUT_STREAM = 1
_SPLIT_STREAM = 2
_TEST_SHARE_STREAM = 3  # the automatic winner's test share


def holdout_size(audience: int, percent: Decimal) -> int:
    """round(percent % of the audience), halves rounded up."""
    exact = Decimal(audience) * Decimal(percent) / Decimal(100)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pick_holdout(member_ids: IdArray, percent: Decimal, *, campaign_id: int) -> tuple[IdArray, IdArray]:
    """Split sorted member ids into (recipients, holdout), both sorted."""
    size = holdout_size(len(member_ids), percent)
    if size == 0:
        return member_ids, member_ids[:0]
    rng = np.random.default_rng([campaign_id, _HOLDOUT_STREAM])
    chosen = np.zeros(len(member_ids), dtype=bool)
    chosen[rng.permutation(len(member_ids))[:size]] = True
    return member_ids[~chosen], member_ids[chosen]


def pick_test_share(recipient_ids: IdArray, percent: int, *, campaign_id: int) -> IdArray:
    """The automatic winner's test group: round(percent %) of the sorted recipient ids, drawn by seed, sorted."""
    size = holdout_size(len(recipient_ids), Decimal(percent))
    rng = np.random.default_rng([campaign_id, _TEST_SHARE_STREAM])
    chosen = np.zeros(len(recipient_ids), dtype=bool)
    chosen[rng.permutation(len(recipient_ids))[:size]] = True
    return recipient_ids[chosen]


def split_counts(total: int, percents: Sequence[int]) -> list[int]:
    """How many of `total` each share gets: floors, then the remainders to the largest fractions."""
    weight = sum(percents)
    if total == 0 or weight <= 0:
        return [0] * len(percents)
    exact = [Decimal(total) * p / weight for p in percents]
    counts = [int(e) for e in exact]
    # Ties go to the earlier variant, so the result does not depend on sort stability.
    order = sorted(range(len(percents)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:total - sum(counts)]:
        counts[i] += 1
    return counts


def assign_variants(recipient_count: int, percents: Sequence[int], *, campaign_id: int,
                    message_id: int) -> npt.NDArray[np.intp]:
    """For each recipient (in id order), the index of its variant; exact counts, shuffled by a seeded draw."""
    counts = split_counts(recipient_count, percents)
    labels = np.repeat(np.arange(len(percents), dtype=np.intp), counts)
    rng = np.random.default_rng([campaign_id, _SPLIT_STREAM, message_id])
    permuted: npt.NDArray[np.intp] = rng.permutation(labels)
    return permuted
