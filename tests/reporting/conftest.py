"""A hand-built campaign with deliveries, tracking events, holdout, spend and budgets, written row by row.

Campaign "Spring" launched 2026-03-01 10:00 UTC; email message "Newsletter" (variants A, B) and SMS
message "Text" (variant S). Contacts c1..c10:

| contact | delivery                   | events                                                         |
|---------|----------------------------|----------------------------------------------------------------|
| c1      | email A sent               | open +1h, open +2h, click +3h                                  |
| c2      | email A sent               | machine open +0.5h                                             |
| c3      | email A sent               | hard bounce +1h                                                |
| c4      | email A sent               | open +5h, unsubscribe +5h                                      |
| c5      | email A skipped            |                                                                |
| c6      | email B sent               | machine click +30h, open +30h                                  |
| c7      | email B sent               | soft bounce +2h                                                |
| c8      | email B sent               | complaint +100h (a daily bucket)                               |
| c9      | email B failed (bounced)   |                                                                |
| c1, c2  | sms S sent                 | c1 click +2h                                                   |
| c10     | holdout                    |                                                                |

Costs: email 0.01 per message, SMS 0 per message; spend email 10.00 (2026-03-01) and paid_search
20.00 (2026-03-02); budgets email 15.00, paid_search 25.00. Currency EUR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit
from kempen.models import (
    Campaign,
    CampaignBudget,
    CampaignHoldoutMember,
    CampaignMessage,
    CampaignSpend,
    CampaignStatus,
    Channel,
    Contact,
    Delivery,
    DeliveryReason,
    DeliveryStatus,
    MessageVariant,
    Segment,
    TouchKind,
    TrackingEvent,
)
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant, unique

LAUNCH = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@dataclass
class Built:
    workspace_id: int
    campaign_id: int
    contacts: dict[str, int]
    variants: dict[str, int]
    messages: dict[str, int]
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)

    def credit(self, contact: str, variant: str, credit: float, revenue: str, at: datetime | None = None,
               key: str = "order:1") -> AttributedCredit:
        """A credit as the attribution service hands them to reports."""
        channel = "sms" if variant == "S" else "email"
        message = self.messages["Text" if variant == "S" else "Newsletter"]
        return AttributedCredit(conversion_key=key, contact_id=self.contacts[contact],
                                occurred_at=at or LAUNCH + timedelta(hours=4), campaign_id=self.campaign_id,
                                message_id=message, variant_id=self.variants[variant], channel=channel,
                                credit=credit, revenue=Decimal(revenue))


def _event(b: Built, contact: str, variant: str, kind: TouchKind, hours: float, **extra: Any) -> TrackingEvent:
    message = "Text" if variant == "S" else "Newsletter"
    return TrackingEvent(workspace_id=b.workspace_id, kind=kind, occurred_at=LAUNCH + timedelta(hours=hours),
                         campaign_id=b.campaign_id, message_id=b.messages[message], variant_id=b.variants[variant],
                         delivery_id=b.deliveries[(contact, message)], contact_id=b.contacts[contact],
                         channel=Channel.SMS if variant == "S" else Channel.EMAIL, **extra)


def build_campaign(session: Session, workspace_id: int, *, name: str = "Spring",
                   launched_at: datetime = LAUNCH, segment_id: int | None = None) -> Built:
    """Write the campaign of the module docstring and commit it."""
    campaign = Campaign(workspace_id=workspace_id, name=name, status=CampaignStatus.COMPLETED,
                        launched_at=launched_at, segment_id=segment_id)
    session.add(campaign)
    session.flush()
    contacts = {}
    for n in range(1, 11):
        contact = Contact(workspace_id=workspace_id, email=f"c{n}-{unique('')}@example.com",
                          email_normalized=f"c{n}-{unique('')}@example.com", first_name=f"C{n}",
                          country="NL" if n <= 4 else "DE")
        session.add(contact)
        session.flush()
        contacts[f"c{n}"] = contact.id
    email = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.EMAIL,
                            name="Newsletter")
    sms = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.SMS, name="Text")
    session.add_all([email, sms])
    session.flush()
    variants = {}
    for vname, message, split in (("A", email, 50), ("B", email, 50), ("S", sms, 100)):
        variant = MessageVariant(workspace_id=workspace_id, campaign_id=campaign.id, message_id=message.id,
                                 name=vname, split_percent=split, subject=f"Subject {vname}")
        session.add(variant)
        session.flush()
        variants[vname] = variant.id
    b = Built(workspace_id, campaign.id, contacts, variants, {"Newsletter": email.id, "Text": sms.id})
    plan = [("c1", "A", "sent"), ("c2", "A", "sent"), ("c3", "A", "sent"), ("c4", "A", "sent"),
            ("c5", "A", "skipped"), ("c6", "B", "sent"), ("c7", "B", "sent"), ("c8", "B", "sent"),
            ("c9", "B", "failed"), ("c1", "S", "sent"), ("c2", "S", "sent")]
    for contact, vname, status in plan:
        message = sms if vname == "S" else email
        reason = {"skipped": DeliveryReason.NO_CONSENT, "failed": DeliveryReason.BOUNCED}.get(status)
        delivery = Delivery(workspace_id=workspace_id, campaign_id=campaign.id, message_id=message.id,
                            variant_id=variants[vname], contact_id=contacts[contact], channel=message.channel,
                            status=DeliveryStatus(status), reason=reason,
                            sent_at=launched_at if status == "sent" else None)
        session.add(delivery)
        session.flush()
        b.deliveries[(contact, message.name)] = delivery.id
    session.add(CampaignHoldoutMember(workspace_id=workspace_id, campaign_id=campaign.id, contact_id=contacts["c10"]))
    o, c, u = TouchKind.OPEN, TouchKind.CLICK, TouchKind.UNSUBSCRIBE
    session.add_all([
        _event(b, "c1", "A", o, 1), _event(b, "c1", "A", o, 2), _event(b, "c1", "A", c, 3, url="https://x.example/"),
        _event(b, "c2", "A", o, 0.5, machine=True, machine_reason="apple_mpp"),
        _event(b, "c3", "A", TouchKind.BOUNCE, 1, detail={"type": "hard", "status": "5.1.1"}),
        _event(b, "c4", "A", o, 5), _event(b, "c4", "A", u, 5),
        _event(b, "c6", "B", c, 30, machine=True, machine_reason="scanner"), _event(b, "c6", "B", o, 30),
        _event(b, "c7", "B", TouchKind.BOUNCE, 2, detail={"type": "soft", "status": "4.2.2"}),
        _event(b, "c8", "B", TouchKind.COMPLAINT, 100),
        _event(b, "c1", "S", c, 2, url="https://x.example/"),
    ])
    session.commit()
    return b


def add_costs(session: Session, b: Built) -> None:
    """Per-message costs, spend and budgets of the module docstring."""
    settings = get_tracking_settings(session, workspace_id=b.workspace_id)
    settings.email_cost_per_message = Decimal("0.01")
    settings.sms_cost_per_message = Decimal("0")
    ws, cid = b.workspace_id, b.campaign_id
    session.add_all([
        CampaignSpend(workspace_id=ws, campaign_id=cid, channel="email", spend_date=date(2026, 3, 1),
                      amount=Decimal("10.00"), currency="EUR", source="manual"),
        CampaignSpend(workspace_id=ws, campaign_id=cid, channel="paid_search", spend_date=date(2026, 3, 2),
                      amount=Decimal("20.00"), currency="EUR", source="import"),
        CampaignBudget(workspace_id=ws, campaign_id=cid, channel="email", amount=Decimal("15.00"), currency="EUR"),
        CampaignBudget(workspace_id=ws, campaign_id=cid, channel="paid_search", amount=Decimal("25.00"),
                       currency="EUR"),
    ])
    session.commit()


def add_segment(session: Session, workspace_id: int, text: str = 'country = "NL"') -> Segment:
    """A segment through the real service (its rule is compiled for breakdowns)."""
    from kempen.segments import schemas, service

    segment = service.create_segment(session, workspace_id=workspace_id, actor="test",
                                     data=schemas.SegmentCreate(name=unique("seg-"), text=text))
    session.commit()
    return segment


@pytest.fixture
def built(session: Session, tenant: Tenant) -> Built:
    b = build_campaign(session, tenant.id)
    add_costs(session, b)
    return b


@pytest.fixture
def credits(monkeypatch: pytest.MonkeyPatch, built: Built) -> list[AttributedCredit]:
    """Fixed credits in place of the attribution service (whose models are tested on their own)."""
    given = [built.credit("c1", "A", 1.0, "100.00", key="order:1"),
             built.credit("c1", "A", 0.5, "25.00", key="order:2", at=LAUNCH + timedelta(days=5)),
             built.credit("c1", "S", 0.5, "25.00", key="order:2", at=LAUNCH + timedelta(days=5))]

    def fake(session: Session, *, workspace_id: int, campaign_id: int | None = None, **_: Any) -> list[Any]:
        return [c for c in given if campaign_id in (None, c.campaign_id)] if workspace_id == built.workspace_id else []

    monkeypatch.setattr("kempen.reporting.revenue.attribution.attribute_conversions", fake)
    return given
