"""The automatic winner's settings on a campaign: their words, and what keeps them from working.

The engine's side (the test share at launch, the decision, the rest of the audience) is
`kempen.delivery.winner`. This module sits below `kempen.experiments`, so it names the metrics and
fallbacks by their values; `tests/campaigns/test_winner_settings.py` checks they match
`experiments.Metric` and `experiments.WinnerFallback`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kempen.models import Campaign, CampaignMessage, Channel, Conversion, MessageVariant, Order
from kempen.tracking.settings import get_tracking_settings

METRIC_LABELS = {"open_rate": "open rate", "click_rate": "click rate", "conversion_rate": "conversion rate",
                 "revenue_per_recipient": "revenue per recipient"}
FALLBACK_LABELS = {"first": "send the first variant", "leader": "send the variant ahead, even if not significantly",
                   "none": "send nothing more"}
DEFAULT_TEST_PERCENT = 20
DEFAULT_WAIT_MINUTES = 240
MIN_WAIT_MINUTES, MAX_WAIT_MINUTES = 30, 7 * 24 * 60
MIN_TEST_PERCENT, MAX_TEST_PERCENT = 5, 50


def metric_label(metric: str | None) -> str:
    return METRIC_LABELS.get(metric or "", metric or "—")


def wait_label(minutes: int) -> str:
    """A wait in words: "45 min", "4 h", "1 d 6 h"."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(part for part in parts if part) or "0 min"


class WinnerSettings(Protocol):
    """A campaign's automatic-winner settings, as a row or as its API shape."""

    winner_metric: Any
    winner_test_percent: int
    winner_wait_minutes: int
    winner_fallback: Any


def describe_settings(campaign: WinnerSettings) -> str:
    """One line for a campaign page or the CLI, e.g. "test on 20 % for 4 h, then the best click rate"."""
    if not campaign.winner_metric:
        return "off: every recipient gets a variant at launch"
    return (f"test on {campaign.winner_test_percent} % for {wait_label(campaign.winner_wait_minutes)}, then the "
            f"best {metric_label(campaign.winner_metric)} to the rest; when no variant is significantly better: "
            f"{FALLBACK_LABELS.get(campaign.winner_fallback, campaign.winner_fallback)}")


def winner_problems(session: Session, campaign: Campaign, messages: Sequence[CampaignMessage],
                    variants: dict[int, list[MessageVariant]]) -> list[str]:
    """What keeps an automatic winner from deciding; empty when it is off or can work."""
    if not campaign.winner_metric:
        return []
    tested = [m for m in messages if len(variants.get(m.id, [])) >= 2]
    if not tested:
        return ["The automatic winner needs at least two variants in a message: add a variant (A/B) or turn "
                "the automatic winner off."]
    tracking = get_tracking_settings(session, workspace_id=campaign.workspace_id)
    if campaign.winner_metric == "open_rate":
        if not tracking.track_opens:
            return ["The automatic winner decides on the open rate, but open tracking is off in the tracking "
                    "settings: turn it on or decide on another metric."]
        if not any(m.channel == Channel.EMAIL for m in tested):
            return ["The automatic winner decides on the open rate, but only emails record opens: decide on "
                    "another metric."]
    if campaign.winner_metric == "click_rate" and not tracking.track_clicks:
        return ["The automatic winner decides on the click rate, but click tracking is off in the tracking "
                "settings: turn it on or decide on another metric."]
    return []


def winner_warnings(session: Session, campaign: Campaign) -> list[str]:
    """What may make the decision meaningless without keeping the campaign from launch."""
    if campaign.winner_metric not in ("conversion_rate", "revenue_per_recipient"):
        return []
    workspace_id = campaign.workspace_id
    recorded = session.scalar(select(
        exists().where(Conversion.workspace_id == workspace_id) | exists().where(Order.workspace_id == workspace_id)))
    if recorded:
        return []
    return [f"The automatic winner decides on the {metric_label(campaign.winner_metric)}, but this workspace has "
            "recorded no conversion or order yet: install the website snippet or send conversions through the "
            "API, or every variant will score 0 and the fallback will decide."]
