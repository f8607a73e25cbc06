"""Reading a campaign's deliveries: one page at a time, by status or reason."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.campaigns.service import get_campaign_or_raise
from kempen.kit.pagination import keyset_page
from kempen.models import Delivery, DeliveryReason, DeliveryStatus


def list_deliveries(session: Session, *, workspace_id: int, campaign_id: int, status: DeliveryStatus | None = None,
                    reason: DeliveryReason | None = None, contact_id: int | None = None, cursor: str | None = None,
                    limit: int = 50) -> tuple[list[Delivery], str | None]:
    """One page of a campaign's deliveries, newest first, optionally of one status, reason or contact."""
    get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    stmt = select(Delivery).where(Delivery.workspace_id == workspace_id, Delivery.campaign_id == campaign_id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    if reason is not None:
        stmt = stmt.where(Delivery.reason == reason)
    if contact_id is not None:
        stmt = stmt.where(Delivery.contact_id == contact_id)
    return keyset_page(session, stmt, Delivery.id, cursor=cursor, limit=limit)
