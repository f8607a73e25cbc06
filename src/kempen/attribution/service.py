"""Attribution over Kempen's own data: orders and conversions credited to the campaign messages before them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit, AttributionModel


def attribute_conversions(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                          model: AttributionModel | None = None,
                          campaign_id: int | None = None) -> list[AttributedCredit]:
    """Credit each conversion in [since, until) to the touches before it, under `model` (the workspace's default).

    With `campaign_id`, only credits to that campaign are returned (the split still considers every
    campaign that touched the contact). Being built (issue 5): the attribution helper replaces this body.
    """
    raise NotImplementedError("attribution is being built")
