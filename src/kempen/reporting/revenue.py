"""Conversions and revenue credited to campaigns, from the attribution service under the chosen model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kempen.attribution import service as attribution
from kempen.attribution.types import AttributedCredit, AttributionModel


def attributed_credits(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                       model: AttributionModel, campaign_id: int | None = None) -> list[AttributedCredit]:
    """Each conversion in [since, until) split over the campaign messages that touched it."""
    return attribution.attribute_conversions(session, workspace_id=workspace_id, since=since, until=until,
                                             model=model, campaign_id=campaign_id)
