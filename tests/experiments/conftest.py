"""A hand-built A/B campaign, written row by row: deliveries, opens and clicks, orders and conversions.

Campaign launched 2026-04-01 10:00 UTC; email message "Mail" with variants A and B (50/50) and SMS
message "Text" with one variant S (one variant: no experiment). Click window 7 days, currency EUR.

| contact | delivery      | tracking events                          | orders / conversions                      |
|---------|---------------|------------------------------------------|-------------------------------------------|
| a1      | A sent        | open +1 h, click +2 h                     | paid 100 (+1 d), conversion row 20 (+2 d) |
| a2      | A sent        | machine open +0.5 h                       |                                           |
| a3      | A sent        | open +3 h                                 | pending order 50                          |
| a4      | A sent        |                                          |                                           |
| a5      | A skipped     |                                          | paid 500 (+1 d): not a recipient          |
| b1      | B sent        | click +1 h                                | paid 40 (+1 d), fulfilled 60 (+3 d)       |
| b2      | B sent        | machine click +1 h, open +2 h             | paid 30 USD (+1 d): converts, 0 revenue   |
| b3      | B sent        | click +8 d (after the window)             | paid 80 (+8 d, after the window)          |
| b4      | B sent        |                                          | paid 10 an hour before launch             |
| b5      | B failed      |                                          |                                           |
| a1, b1  | S sent        | b1 click +1 h                             |                                           |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from kempen.models import (
    Campaign,
    CampaignMessage,
    CampaignStatus,
    Channel,
    Contact,
    Conversion,
    Delivery,
    DeliveryStatus,
    MessageVariant,
    Order,
    OrderStatus,
    TouchKind,
    TrackingEvent,
)
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant, unique

LAUNCH = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@dataclass
class Trial:
    workspace_id: int
    campaign_id: int
    messages: dict[str, int]
    variants: dict[str, int]
    contacts: dict[str, int] = field(default_factory=dict)
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)

    def event(self, contact: str, variant: str, kind: TouchKind, at: timedelta, machine: bool = False) -> TrackingEvent:
        message = "Text" if variant == "S" else "Mail"
        return TrackingEvent(workspace_id=self.workspace_id, kind=kind, occurred_at=LAUNCH + at,
                             campaign_id=self.campaign_id, message_id=self.messages[message],
                             variant_id=self.variants[variant], delivery_id=self.deliveries[(contact, message)],
                             contact_id=self.contacts[contact], machine=machine,
                             channel=Channel.SMS if variant == "S" else Channel.EMAIL)

    def order(self, contact: str, amount: str, at: timedelta, status: OrderStatus = OrderStatus.PAID,
              currency: str = "EUR") -> Order:
        return Order(workspace_id=self.workspace_id, external_id=unique("o-"), contact_id=self.contacts[contact],
                     placed_at=LAUNCH + at, amount=Decimal(amount), currency=currency, status=status)


def add_contact(session: Session, workspace_id: int) -> int:
    email = f"{unique('x')}@example.com"
    contact = Contact(workspace_id=workspace_id, email=email, email_normalized=email)
    session.add(contact)
    session.flush()
    return contact.id


def make_campaign(session: Session, workspace_id: int, splits: dict[str, int] | None = None) -> Trial:
    """The campaign, its messages and variants, without deliveries."""
    campaign = Campaign(workspace_id=workspace_id, name=unique("trial-"), status=CampaignStatus.RUNNING,
                        launched_at=LAUNCH)
    session.add(campaign)
    session.flush()
    mail = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.EMAIL, name="Mail")
    text = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.SMS, name="Text")
    session.add_all([mail, text])
    session.flush()
    trial = Trial(workspace_id, campaign.id, {"Mail": mail.id, "Text": text.id}, {})
    for name, split in (splits or {"A": 50, "B": 50}).items():
        variant = MessageVariant(workspace_id=workspace_id, campaign_id=campaign.id, message_id=mail.id, name=name,
                                 split_percent=split)
        session.add(variant)
        session.flush()
        trial.variants[name] = variant.id
    sms = MessageVariant(workspace_id=workspace_id, campaign_id=campaign.id, message_id=text.id, name="S",
                         split_percent=100)
    session.add(sms)
    session.flush()
    trial.variants["S"] = sms.id
    return trial


def add_delivery(session: Session, trial: Trial, contact: str, variant: str,
                 status: DeliveryStatus = DeliveryStatus.SENT, sent_at: datetime | None = LAUNCH) -> None:
    message = "Text" if variant == "S" else "Mail"
    if contact not in trial.contacts:
        trial.contacts[contact] = add_contact(session, trial.workspace_id)
    delivery = Delivery(workspace_id=trial.workspace_id, campaign_id=trial.campaign_id,
                        message_id=trial.messages[message], variant_id=trial.variants[variant],
                        contact_id=trial.contacts[contact], channel=Channel.SMS if variant == "S" else Channel.EMAIL,
                        status=status, sent_at=sent_at if status == DeliveryStatus.SENT else None)
    session.add(delivery)
    session.flush()
    trial.deliveries[(contact, message)] = delivery.id


def build_trial(session: Session, workspace_id: int) -> Trial:
    """Write the campaign of the module docstring and commit it."""
    settings = get_tracking_settings(session, workspace_id=workspace_id)
    settings.click_window_days, settings.currency = 7, "EUR"
    t = make_campaign(session, workspace_id)
    sent, skipped, failed = DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED
    for contact, variant, status in [("a1", "A", sent), ("a2", "A", sent), ("a3", "A", sent), ("a4", "A", sent),
                                     ("a5", "A", skipped), ("b1", "B", sent), ("b2", "B", sent), ("b3", "B", sent),
                                     ("b4", "B", sent), ("b5", "B", failed), ("a1", "S", sent), ("b1", "S", sent)]:
        add_delivery(session, t, contact, variant, status)
    o, c = TouchKind.OPEN, TouchKind.CLICK
    session.add_all([
        t.event("a1", "A", o, HOUR), t.event("a1", "A", c, 2 * HOUR), t.event("a2", "A", o, HOUR / 2, machine=True),
        t.event("a3", "A", o, 3 * HOUR), t.event("b1", "B", c, HOUR), t.event("b2", "B", c, HOUR, machine=True),
        t.event("b2", "B", o, 2 * HOUR), t.event("b3", "B", c, 8 * DAY), t.event("b1", "S", c, HOUR),
        t.order("a1", "100.00", DAY), t.order("a3", "50.00", DAY, OrderStatus.PENDING),
        t.order("a5", "500.00", DAY), t.order("b1", "40.00", DAY), t.order("b1", "60.00", 3 * DAY, OrderStatus.FULFILLED),
        t.order("b2", "30.00", DAY, currency="USD"), t.order("b3", "80.00", 8 * DAY), t.order("b4", "10.00", -HOUR),
        Conversion(workspace_id=workspace_id, contact_id=t.contacts["a1"], occurred_at=LAUNCH + 2 * DAY,
                   value=Decimal("20.00"), currency="EUR"),
    ])
    session.commit()
    return t


@pytest.fixture
def trial(session: Session, tenant: Tenant) -> Trial:
    return build_trial(session, tenant.id)


def build_clicks_trial(session: Session, workspace_id: int, counts: dict[str, tuple[int, int]]) -> Trial:
    """A campaign whose email variants had (recipients, clickers) each, written in bulk; committed."""
    from sqlalchemy import insert

    t = make_campaign(session, workspace_id, {name: 100 // len(counts) for name in counts})
    for name, (recipients, clickers) in counts.items():
        emails = [f"{unique(name)}@example.com" for _ in range(recipients)]
        ids = list(session.scalars(insert(Contact).returning(Contact.id),
                                   [{"workspace_id": workspace_id, "email": e, "email_normalized": e}
                                    for e in emails]))
        delivery_ids = list(session.scalars(insert(Delivery).returning(Delivery.id), [
            {"workspace_id": workspace_id, "campaign_id": t.campaign_id, "message_id": t.messages["Mail"],
             "variant_id": t.variants[name], "contact_id": cid, "channel": Channel.EMAIL,
             "status": DeliveryStatus.SENT, "sent_at": LAUNCH} for cid in ids]))
        session.execute(insert(TrackingEvent), [
            {"workspace_id": workspace_id, "kind": TouchKind.CLICK, "occurred_at": LAUNCH + HOUR,
             "campaign_id": t.campaign_id, "message_id": t.messages["Mail"], "variant_id": t.variants[name],
             "delivery_id": did, "contact_id": cid, "channel": Channel.EMAIL, "machine": False}
            for cid, did in list(zip(ids, delivery_ids, strict=True))[:clickers]])
    session.commit()
    return t
