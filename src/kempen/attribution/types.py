"""What attribution hands to reports: each conversion's credit split over the touches before it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class AttributionModel(enum.StrEnum):
    LAST_TOUCH = "last_touch"        # the default
    FIRST_TOUCH = "first_touch"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"
    MARKOV = "markov"                # data-driven: removal effect of an absorbing Markov chain, solved exactly


@dataclass(frozen=True, slots=True)
class AttributedCredit:
    """The share of one conversion credited to one campaign message (via one variant) on one channel.

    A conversion's credits add up to 1 when anything touched it within the window; a conversion
    nothing touched has no credits (reports count it as unattributed).
    """

    conversion_key: str          # "order:<id>" or "conversion:<id>"
    contact_id: int
    occurred_at: datetime
    campaign_id: int
    message_id: int
    variant_id: int
    channel: str
    credit: float                # 0 < credit <= 1
    revenue: Decimal             # credit x the conversion's value, in the workspace currency
