"""Webhook endpoints and the outbox of deliveries written with each change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kempen.models import WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "contact.created", "contact.updated", "contact.deleted", "contact.merged",
    "order.created", "order.updated",
)


def subscribers(session: Session, *, workspace_id: int, event_type: str) -> list[WebhookEndpoint]:
    """Return the active endpoints of a workspace that want `event_type`."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.is_active.is_(True)
    )
    return [ep for ep in session.scalars(stmt) if not ep.event_types or event_type in ep.event_types]


def enqueue(
    session: Session, *, workspace_id: int, event_type: str, payloads: Iterable[dict[str, Any]],
    endpoints: list[WebhookEndpoint] | None = None,
) -> int:
    """Write outbox rows for every subscribed endpoint, in the caller's transaction.

    Delivery happens after commit (see tasks), so a rolled-back change never notifies anyone.
    """
    if endpoints is None:
        endpoints = subscribers(session, workspace_id=workspace_id, event_type=event_type)
    if not endpoints:
        return 0
    rows = [
        {"workspace_id": workspace_id, "endpoint_id": ep.id, "event_type": event_type,
         "payload": {"type": event_type, "data": payload}}
        for payload in payloads for ep in endpoints
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    return len(rows)
