"""The inputs and results of the statistics: frozen dataclasses of sufficient statistics and estimates."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MAX_VARIANTS = 26  # labelled A…Z
MAX_USERS = 10**12  # far above any audience; keeps every count exact in a float


class StatsInputError(ValueError):
    """Input the statistics cannot use (negative counts, more conversions than users, …); the message is readable."""


@dataclass(frozen=True)
class ProportionArm:
    """One variant of a rate metric: recipients `n` and how many of them converted (opened, clicked, bought)."""

    n: int
    conversions: int

    @property
    def rate(self) -> float | None:
        return self.conversions / self.n if self.n else None


@dataclass(frozen=True)
class MeanArm:
    """One variant of a per-recipient value (revenue): `n`, the sum of the values and the sum of their squares."""

    n: int
    total: float
    total_squares: float

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """The sample variance (n − 1 in the denominator); None below two recipients."""
        if self.n < 2:
            return None
        mean = self.total / self.n
        # Rounding can leave a tiny negative where every value is equal; the true variance is then 0.
        return max((self.total_squares - self.total * mean) / (self.n - 1), 0.0)


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval; all None, with the reason, where it is undefined."""

    estimate: float | None
    low: float | None
    high: float | None
    method: str
    reason: str | None = None

    @classmethod
    def undefined(cls, method: str, reason: str) -> Estimate:
        return cls(None, None, None, method, reason)


@dataclass(frozen=True)
class TestResult:
    """A two-sided test of "no difference": its statistic and p-value, or None with the reason."""

    __test__ = False  # not a pytest class

    statistic: float | None
    p_value: float | None
    method: str
    reason: str | None = None
    degrees_of_freedom: float | None = None


@dataclass(frozen=True)
class Comparison:
    """One variant against the control: absolute and relative difference and the test."""

    variant: int
    control: int
    absolute: Estimate
    relative: Estimate
    test: TestResult


def z_quantile(confidence: float) -> float:
    """The two-sided standard normal quantile for a confidence level (1.959964 for 0.95)."""
    from scipy.stats import norm

    return float(norm.isf((1 - confidence) / 2))


def check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, int | float) and 0.5 <= confidence < 1 and math.isfinite(confidence)):
        raise StatsInputError(f"The confidence level must be at least 0.5 and below 1, e.g. 0.95 (got {confidence}).")


def label(index: int) -> str:
    """Variant labels as people say them: A (the control), B, C, …"""
    return chr(ord("A") + index)


def check_count(arms: Sequence[object]) -> None:
    if not 2 <= len(arms) <= MAX_VARIANTS:
        raise StatsInputError(f"Give between 2 and {MAX_VARIANTS} variants (got {len(arms)}); the first is the control.")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_proportion_arms(arms: Sequence[ProportionArm]) -> None:
    """Raise StatsInputError unless every arm has whole, non-negative counts with conversions ≤ users."""
    check_count(arms)
    for index, arm in enumerate(arms):
        name = label(index)
        if not (_is_int(arm.n) and _is_int(arm.conversions)):
            raise StatsInputError(f"Variant {name}: users and conversions must be whole numbers.")
        if arm.n < 0 or arm.conversions < 0:
            raise StatsInputError(f"Variant {name}: users and conversions cannot be negative.")
        if arm.n > MAX_USERS:
            raise StatsInputError(f"Variant {name}: more than {MAX_USERS:,} users is not a real audience.")
        if arm.conversions > arm.n:
            raise StatsInputError(f"Variant {name}: {arm.conversions} conversions is more than its {arm.n} users.")


def check_mean_arms(arms: Sequence[MeanArm]) -> None:
    """Raise StatsInputError unless every arm's n, sum and sum of squares can come from real values."""
    check_count(arms)
    for index, arm in enumerate(arms):
        name = label(index)
        if not _is_int(arm.n) or arm.n < 0:
            raise StatsInputError(f"Variant {name}: users must be a whole number, not negative.")
        if arm.n > MAX_USERS:
            raise StatsInputError(f"Variant {name}: more than {MAX_USERS:,} users is not a real audience.")
        if not (math.isfinite(arm.total * arm.total) and math.isfinite(arm.n * arm.total_squares)):
            raise StatsInputError(f"Variant {name}: the sum and the sum of squares must be finite numbers "
                                  "of a sensible size.")
        if arm.total_squares < 0:
            raise StatsInputError(f"Variant {name}: a sum of squares cannot be negative.")
        if arm.n == 0 and (arm.total != 0 or arm.total_squares != 0):
            raise StatsInputError(f"Variant {name}: with 0 users the sum and the sum of squares must be 0.")
        # Cauchy–Schwarz: sum² ≤ n · sum of squares, with room for rounding in the caller's SQL.
        if arm.n and arm.total * arm.total > arm.n * arm.total_squares * (1 + 1e-9) + 1e-9:
            raise StatsInputError(f"Variant {name}: the sum of squares is too small for that sum "
                                  "(sum² must not exceed users × sum of squares).")
