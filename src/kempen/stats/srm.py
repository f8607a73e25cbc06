"""Sample-ratio mismatch: do the variants' user counts fit the planned split?"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import chisquare

from kempen.stats.types import MAX_USERS, StatsInputError, check_count

METHOD = "chi-square goodness-of-fit test of users against the planned split"
# A real mismatch (a broken assignment, a variant that fails to send) is usually gross and shows a tiny
# p-value; the check runs on every test, so a strict threshold keeps false alarms to 1 in 1,000 tests.
THRESHOLD = 0.001


@dataclass(frozen=True)
class SrmResult:
    """The test of the observed users against the planned split; `mismatch` is True when p < threshold."""

    expected_shares: tuple[float, ...]
    statistic: float | None
    p_value: float | None
    mismatch: bool
    threshold: float = THRESHOLD
    method: str = METHOD
    reason: str | None = None


def normalise_split(split: Sequence[float] | None, count: int) -> tuple[float, ...]:
    """Planned shares summing to 1 (any positive weights: 50,50 or 1,1 or 0.9,0.1); equal when not given."""
    if split is None:
        return tuple(1 / count for _ in range(count))
    if len(split) != count:
        raise StatsInputError(f"The split has {len(split)} shares but there are {count} variants.")
    if not all(isinstance(w, int | float) and math.isfinite(w) and w > 0 for w in split):
        raise StatsInputError("Every share of the split must be a positive number.")
    total = float(sum(split))
    return tuple(w / total for w in split)


def sample_ratio_mismatch(users: Sequence[int], split: Sequence[float] | None = None, *,
                          threshold: float = THRESHOLD) -> SrmResult:
    """Test the observed users per variant against the planned split (equal shares by default)."""
    check_count(users)
    if any(not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_USERS for n in users):
        raise StatsInputError(f"Users per variant must be whole numbers from 0 to {MAX_USERS:,}.")
    shares = normalise_split(split, len(users))
    total = sum(users)
    if total == 0:
        return SrmResult(shares, None, None, False, threshold, reason="No users yet.")
    result = chisquare(users, [total * share for share in shares])
    p_value = float(result.pvalue)
    return SrmResult(shares, float(result.statistic), p_value, p_value < threshold, threshold)
