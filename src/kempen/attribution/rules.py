"""Rule-based attribution: how one conversion's credit is split over the ordered touches before it.

Pure functions (no database): the own-data service and the imported-path analysis both use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kempen.attribution.types import AttributionModel

DEFAULT_HALF_LIFE_DAYS = 7.0
# Position based: the first and the last touch each get this share, the middle touches the rest.
POSITION_END_SHARE = 0.4

RULE_MODELS = (AttributionModel.LAST_TOUCH, AttributionModel.FIRST_TOUCH, AttributionModel.LINEAR,
               AttributionModel.TIME_DECAY, AttributionModel.POSITION_BASED)


@dataclass(frozen=True, slots=True)
class Touch:
    """One touch of a path: what touched (a channel or campaign key) and when."""

    key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class TouchCredit:
    """The share of a conversion (and of its value) given to one touch."""

    key: str
    at: datetime
    credit: float
    value: float


def rule_weights(model: AttributionModel, ages_days: Sequence[float], *,
                 half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> tuple[float, ...]:
    """Split one conversion over touches in time order (ages in days before the conversion); sums to 1."""
    n = len(ages_days)
    if n == 0:
        return ()
    if model == AttributionModel.LAST_TOUCH:
        return tuple(1.0 if i == n - 1 else 0.0 for i in range(n))
    if model == AttributionModel.FIRST_TOUCH:
        return tuple(1.0 if i == 0 else 0.0 for i in range(n))
    if model == AttributionModel.LINEAR:
        return tuple(1.0 / n for _ in range(n))
    if model == AttributionModel.TIME_DECAY:
        if half_life_days <= 0:
            raise ValueError("the half-life must be positive")
        # Shift by the youngest age first so that 2**(-age) never underflows to an all-zero path.
        youngest = min(ages_days)
        raw = [2.0 ** (-(max(age, 0.0) - max(youngest, 0.0)) / half_life_days) for age in ages_days]
        total = sum(raw)
        return tuple(w / total for w in raw)
    if model == AttributionModel.POSITION_BASED:
        return position_weights(n)
    raise ValueError(f"{model} is not a rule-based model")


def position_weights(n: int) -> tuple[float, ...]:
    """40% to the first touch, 40% to the last, 20% spread over the middle (1 touch: all; 2: half each)."""
    if n == 1:
        return (1.0,)
    if n == 2:
        return (0.5, 0.5)
    middle = (1.0 - 2 * POSITION_END_SHARE) / (n - 2)
    return (POSITION_END_SHARE, *([middle] * (n - 2)), POSITION_END_SHARE)


def credit_path(path: Sequence[Touch], *, model: AttributionModel, converted_at: datetime, value: float,
                half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> tuple[TouchCredit, ...]:
    """Credit each touch of a path (in any order; sorted by time here) under a rule-based model."""
    ordered = sorted(path, key=lambda touch: touch.at)
    ages = [(converted_at - touch.at).total_seconds() / 86_400 for touch in ordered]
    weights = rule_weights(model, ages, half_life_days=half_life_days)
    return tuple(TouchCredit(key=t.key, at=t.at, credit=w, value=w * value) for t, w in zip(ordered, weights, strict=True))


def step_ages(n: int, *, step_days: float = 1.0) -> tuple[float, ...]:
    """Ages of a path without timestamps: touches taken as `step_days` apart, the last at the conversion."""
    return tuple((n - 1 - i) * step_days for i in range(n))
