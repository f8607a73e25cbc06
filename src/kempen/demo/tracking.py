"""A finished demo campaign with results, so that a fresh `make run` shows a performance page with figures.

"Winter sale (demo)" went out nine days ago to up to 600 emailable contacts (A/B subject lines); its
deliveries, opens (some by Apple's privacy proxy), clicks (some by link scanners), bounces,
unsubscribes, complaints and the conversions that followed clicks are written directly, deterministic
for a seed. It also gets a budget, paid-social spend per day and a cost per email.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kempen.kit.clock import utcnow
from kempen.models import (
    Campaign,
    CampaignBudget,
    CampaignMessage,
    CampaignSpend,
    CampaignStatus,
    Channel,
    Contact,
    Conversion,
    Delivery,
    DeliveryStatus,
    MessageVariant,
    TouchKind,
    TrackingEvent,
)
from kempen.tracking.settings import get_tracking_settings

CAMPAIGN_NAME = "Winter sale (demo)"
AUDIENCE = 600
# Per variant: chance of a human open, of a click given an open.
RATES = {"A": (0.42, 0.16), "B": (0.35, 0.11)}
URL = "https://shop.example.com/winter-sale"


def _campaign(session: Session, workspace_id: int, launched: datetime) -> tuple[Campaign, dict[str, int], int]:
    campaign = Campaign(workspace_id=workspace_id, name=CAMPAIGN_NAME, status=CampaignStatus.COMPLETED,
                        launched_at=launched, finished_at=launched + timedelta(minutes=20), created_by="kempen init",
                        description="A finished campaign with opens, clicks, conversions and costs, to show reports.")
    session.add(campaign)
    session.flush()
    message = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.EMAIL,
                              name="Winter sale")
    session.add(message)
    session.flush()
    variants = {}
    for name, subject in (("A", "Up to 40 % off: the winter sale is on"), ("B", "Your winter favourites, for less")):
        variant = MessageVariant(workspace_id=workspace_id, campaign_id=campaign.id, message_id=message.id,
                                 name=name, split_percent=50, subject=subject, html="<p>Winter sale</p>")
        session.add(variant)
        session.flush()
        variants[name] = variant.id
    return campaign, variants, message.id


def _events_for(rng: random.Random, base: dict[str, Any], variant: str, sent: datetime,
                currency: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tracking events and conversions of one delivery."""
    events: list[dict[str, Any]] = []
    conversions: list[dict[str, Any]] = []
    if rng.random() < 0.02:
        kind = "hard" if rng.random() < 0.7 else "soft"
        events.append({**base, "kind": TouchKind.BOUNCE, "occurred_at": sent + timedelta(minutes=3),
                       "detail": {"type": kind, "status": "5.1.1" if kind == "hard" else "4.2.2"}})
        return events, conversions
    if rng.random() < 0.12:  # Apple Mail Privacy Protection fetches the pixel at delivery
        events.append({**base, "kind": TouchKind.OPEN, "occurred_at": sent + timedelta(minutes=1), "machine": True,
                       "machine_reason": "apple_mpp"})
    if rng.random() < 0.03:  # a corporate link scanner follows every link at once
        events.append({**base, "kind": TouchKind.CLICK, "occurred_at": sent + timedelta(seconds=20), "machine": True,
                       "machine_reason": "scanner", "url": URL, "link_index": 0})
    open_rate, click_rate = RATES[variant]
    if rng.random() < open_rate:
        # Most opens come within hours; a tail over the following days fills the daily part of the chart.
        late = rng.random() < 0.2
        opened = sent + timedelta(hours=rng.uniform(72, 200) if late else min(rng.expovariate(1 / 6), 72))
        events.append({**base, "kind": TouchKind.OPEN, "occurred_at": opened})
        if rng.random() < click_rate:
            clicked = opened + timedelta(minutes=rng.randint(1, 30))
            events.append({**base, "kind": TouchKind.CLICK, "occurred_at": clicked, "url": URL, "link_index": 0})
            if rng.random() < 0.3:
                conversions.append({"workspace_id": base["workspace_id"], "contact_id": base["contact_id"],
                                    "name": "purchase", "occurred_at": clicked + timedelta(hours=rng.randint(0, 40)),
                                    "value": Decimal(rng.randint(2500, 16000)) / 100, "currency": currency,
                                    "delivery_id": base["delivery_id"], "source": "api", "properties": {}})
        if rng.random() < 0.01:
            events.append({**base, "kind": TouchKind.UNSUBSCRIBE, "occurred_at": opened + timedelta(minutes=2)})
        elif rng.random() < 0.002:
            events.append({**base, "kind": TouchKind.COMPLAINT, "occurred_at": opened + timedelta(minutes=5)})
    return events, conversions


def create_demo_results(session: Session, *, workspace_id: int, seed: int = 7,
                        now: datetime | None = None) -> int | None:
    """Write the finished demo campaign with its results; its id, or None if it exists or nobody has email."""
    exists = session.scalar(select(Campaign.id).where(Campaign.workspace_id == workspace_id,
                                                      Campaign.name == CAMPAIGN_NAME))
    contacts = list(session.execute(select(Contact.id, Contact.email).where(
        Contact.workspace_id == workspace_id, Contact.email.is_not(None)).order_by(Contact.id).limit(AUDIENCE)))
    if exists is not None or not contacts:
        return None
    rng = random.Random(seed)
    launched = (now or utcnow()).replace(minute=0, second=0, microsecond=0) - timedelta(days=9)
    settings = get_tracking_settings(session, workspace_id=workspace_id)
    if not settings.email_cost_per_message:
        settings.email_cost_per_message = Decimal("0.002")
    campaign, variants, message_id = _campaign(session, workspace_id, launched)
    events: list[dict[str, Any]] = []
    conversions: list[dict[str, Any]] = []
    for n, (contact_id, email) in enumerate(contacts):
        variant = "A" if n % 2 == 0 else "B"
        sent = launched + timedelta(seconds=2 * n)
        delivery_id = session.execute(insert(Delivery).values(
            workspace_id=workspace_id, campaign_id=campaign.id, message_id=message_id, variant_id=variants[variant],
            contact_id=contact_id, channel=Channel.EMAIL, status=DeliveryStatus.SENT, address=email,
            attempts=1, sent_at=sent).returning(Delivery.id)).scalar_one()
        base = {"workspace_id": workspace_id, "campaign_id": campaign.id, "message_id": message_id,
                "variant_id": variants[variant], "delivery_id": delivery_id, "contact_id": contact_id,
                "channel": Channel.EMAIL, "machine": False}
        found, converted = _events_for(rng, base, variant, sent, settings.currency)
        events += found
        conversions += converted
    if events:
        session.execute(insert(TrackingEvent), [{"machine_reason": None, "url": None, "link_index": None,
                                                 "detail": None, **e} for e in events])
    if conversions:
        session.execute(insert(Conversion), conversions)
    _costs(session, workspace_id, campaign.id, launched.date(), settings.currency, rng)
    session.flush()
    return campaign.id


def _costs(session: Session, workspace_id: int, campaign_id: int, first_day: date, currency: str,
           rng: random.Random) -> None:
    session.add_all([
        CampaignBudget(workspace_id=workspace_id, campaign_id=campaign_id, channel="email", amount=Decimal("5.00"),
                       currency=currency),
        CampaignBudget(workspace_id=workspace_id, campaign_id=campaign_id, channel="paid_social",
                       amount=Decimal("150.00"), currency=currency),
        *(CampaignSpend(workspace_id=workspace_id, campaign_id=campaign_id, channel="paid_social",
                        spend_date=first_day + timedelta(days=d), amount=Decimal(rng.randint(1500, 2600)) / 100,
                        currency=currency, source="import", created_by="kempen init") for d in range(7)),
    ])
