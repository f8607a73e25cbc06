"""Attribution test helpers: a workspace with campaigns, deliveries, tracking events, orders and conversions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from kempen.models import (
    Campaign,
    CampaignMessage,
    Channel,
    Contact,
    Delivery,
    DeliveryStatus,
    MessageVariant,
    Order,
    OrderStatus,
)
from kempen.models.tracking import Conversion, TouchKind, TrackingEvent
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant, unique

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Sent:
    """One campaign message variant, as sent: what a touch points at."""

    campaign_id: int
    message_id: int
    variant_id: int
    channel: Channel = Channel.EMAIL


@dataclass
class Shop:
    """Builds attribution data in one workspace; every method flushes, tests commit."""

    session: Session
    workspace_id: int
    deliveries: dict[tuple[int, int], int] = field(default_factory=dict)

    def campaign(self, name: str, channel: Channel = Channel.EMAIL) -> Sent:
        campaign = Campaign(workspace_id=self.workspace_id, name=name)
        self.session.add(campaign)
        self.session.flush()
        message = CampaignMessage(workspace_id=self.workspace_id, campaign_id=campaign.id, channel=channel,
                                  name=f"{name} message")
        self.session.add(message)
        self.session.flush()
        variant = MessageVariant(workspace_id=self.workspace_id, campaign_id=campaign.id, message_id=message.id,
                                 name="A")
        self.session.add(variant)
        self.session.flush()
        return Sent(campaign.id, message.id, variant.id, channel)

    def contact(self) -> int:
        email = unique("c") + "@example.com"
        contact = Contact(workspace_id=self.workspace_id, email=email, email_normalized=email)
        self.session.add(contact)
        self.session.flush()
        return contact.id

    def delivery(self, sent: Sent, contact_id: int) -> int:
        key = (sent.message_id, contact_id)
        if key not in self.deliveries:
            row = Delivery(workspace_id=self.workspace_id, campaign_id=sent.campaign_id, message_id=sent.message_id,
                           variant_id=sent.variant_id, contact_id=contact_id, channel=sent.channel,
                           status=DeliveryStatus.SENT)
            self.session.add(row)
            self.session.flush()
            self.deliveries[key] = row.id
        return self.deliveries[key]

    def touch(self, sent: Sent, contact_id: int, at: datetime, kind: TouchKind = TouchKind.CLICK,
              machine: bool = False) -> None:
        self.session.add(TrackingEvent(
            workspace_id=self.workspace_id, kind=kind, occurred_at=at, campaign_id=sent.campaign_id,
            message_id=sent.message_id, variant_id=sent.variant_id, delivery_id=self.delivery(sent, contact_id),
            contact_id=contact_id, channel=sent.channel, machine=machine))
        self.session.flush()

    def order(self, contact_id: int, at: datetime, amount: str = "100.00", currency: str = "EUR",
              status: OrderStatus = OrderStatus.PAID) -> str:
        row = Order(workspace_id=self.workspace_id, external_id=unique("o"), contact_id=contact_id, placed_at=at,
                    amount=Decimal(amount), currency=currency, status=status)
        self.session.add(row)
        self.session.flush()
        return f"order:{row.id}"

    def conversion(self, contact_id: int | None, at: datetime, value: str = "10.00", *,
                   delivery_id: int | None = None, order_key: str | None = None) -> str:
        row = Conversion(workspace_id=self.workspace_id, contact_id=contact_id, occurred_at=at, value=Decimal(value),
                         currency="EUR", delivery_id=delivery_id,
                         order_id=int(order_key.split(":")[1]) if order_key else None)
        self.session.add(row)
        self.session.flush()
        return f"conversion:{row.id}"

    def settings(self, **values: object) -> None:
        row = get_tracking_settings(self.session, workspace_id=self.workspace_id)
        for name, value in values.items():
            setattr(row, name, value)
        self.session.flush()


@pytest.fixture
def shop(session: Session, tenant: Tenant) -> Shop:
    return Shop(session, tenant.id)


def ago(**delta: float) -> datetime:
    """A moment before T0."""
    return T0 - timedelta(**delta)
