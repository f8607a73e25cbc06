"""The demo data looks like a real shop: buyer shares, heavy tails, valid phones, consents, consistent orders."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import phonenumbers
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kempen.contacts.custom_fields import list_definitions, validate_custom_fields
from kempen.demo import names
from kempen.models import (
    Consent,
    ConsentStatus,
    Contact,
    ContactTag,
    Event,
    ListMembership,
    Order,
    OrderItem,
    OrderStatus,
    Suppression,
    Tag,
)
from tests.demo.conftest import AS_OF, DemoWorkspace

ANCHOR = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)


def _orders_per_contact(s: Session, workspace_id: int) -> list[int]:
    counts = dict(s.execute(select(Order.contact_id, func.count()).where(Order.workspace_id == workspace_id)
                            .group_by(Order.contact_id)).all())
    contact_ids = s.scalars(select(Contact.id).where(Contact.workspace_id == workspace_id))
    return [counts.get(cid, 0) for cid in contact_ids]


def test_purchase_counts_have_never_buyers_and_a_heavy_tail(engine: Engine, demo2000: DemoWorkspace) -> None:
    with Session(engine) as s:
        counts = sorted(_orders_per_contact(s, demo2000.workspace_id), reverse=True)
    assert len(counts) == 2000
    assert 0.4 <= counts.count(0) / 2000 <= 0.6
    buyers = [c for c in counts if c]
    assert Counter(buyers).most_common(1)[0][0] == 1  # most buyers bought once
    assert max(buyers) >= 12
    top_decile = buyers[: len(buyers) // 10]
    assert sum(top_decile) / sum(buyers) >= 0.25  # a few buy often


def test_every_order_has_items_that_add_up(engine: Engine, demo2000: DemoWorkspace) -> None:
    ws = demo2000.workspace_id
    with Session(engine) as s:
        totals = dict(s.execute(
            select(OrderItem.order_id, func.sum(OrderItem.price * OrderItem.quantity))
            .where(OrderItem.workspace_id == ws).group_by(OrderItem.order_id)).all())
        orders = s.execute(select(Order.id, Order.amount, Order.status, Order.placed_at, Order.currency)
                           .where(Order.workspace_id == ws)).all()
        owners_ok = s.scalar(select(func.count()).select_from(Order).join(Contact, Contact.id == Order.contact_id)
                             .where(Order.workspace_id == ws, Order.placed_at >= Contact.created_at))
    assert len(orders) == demo2000.summary.counts["orders"] and owners_ok == len(orders)
    for order_id, amount, _, placed_at, _ in orders:
        assert order_id in totals
        assert abs(Decimal(str(totals[order_id])) - amount) <= Decimal("0.05")
        assert placed_at < ANCHOR
    statuses = Counter(status for _, _, status, _, _ in orders)
    settled = statuses[OrderStatus.FULFILLED] + statuses[OrderStatus.PAID]
    assert settled / len(orders) > 0.85 and statuses[OrderStatus.REFUNDED] > 0 and statuses[OrderStatus.CANCELLED] > 0
    assert {currency for *_, currency in orders} <= {c.currency for c in names.COUNTRIES}


def test_contacts_are_consistent_with_their_country(engine: Engine, demo2000: DemoWorkspace) -> None:
    specs = {c.code: c for c in names.COUNTRIES}
    with Session(engine) as s:
        contacts = list(s.scalars(select(Contact).where(Contact.workspace_id == demo2000.workspace_id)))
        definitions = {d.key: d for d in list_definitions(s, workspace_id=demo2000.workspace_id)}
    assert len({c.country for c in contacts}) == len(names.COUNTRIES)
    with_phone = [c for c in contacts if c.phone]
    assert 0.6 < len(with_phone) / len(contacts) < 0.85
    assert len({c.phone for c in with_phone}) == len(with_phone)
    for contact in contacts:
        spec = specs[contact.country or ""]
        assert (contact.city, contact.time_zone) in spec.cities
        assert contact.language in {tag for tag, _ in spec.languages}
        assert contact.created_at < ANCHOR
        assert validate_custom_fields(definitions, contact.custom_fields) == contact.custom_fields
        if contact.phone:
            number = phonenumbers.parse(contact.phone)
            assert phonenumbers.is_valid_number(number), contact.phone
            assert phonenumbers.region_code_for_number(number) == contact.country
    assert sum(1 for c in contacts if c.company_id) > 100
    assert sum(1 for c in contacts if "loyalty_tier" in c.custom_fields) > 500


def test_consents_suppressions_tags_and_lists(engine: Engine, demo2000: DemoWorkspace) -> None:
    ws = demo2000.workspace_id
    with Session(engine) as s:
        consents = Counter(s.execute(select(Consent.channel, Consent.status).where(Consent.workspace_id == ws)).all())
        suppressed = set(s.scalars(select(Suppression.address).where(Suppression.workspace_id == ws)))
        unsubscribed = set(s.scalars(select(Contact.email_normalized).join(Consent, Consent.contact_id == Contact.id)
                                     .where(Consent.workspace_id == ws, Consent.channel == "email",
                                            Consent.status == ConsentStatus.UNSUBSCRIBED)))
        tags = dict(s.execute(select(Tag.name, func.count()).join(ContactTag, ContactTag.tag_id == Tag.id)
                              .where(Tag.workspace_id == ws).group_by(Tag.name)).all())
        members = s.scalar(select(func.count()).select_from(ListMembership).where(ListMembership.workspace_id == ws))
    email_granted = consents[("email", ConsentStatus.GRANTED)]
    assert 0.75 < email_granted / 2000 < 0.95
    assert 0 < consents[("sms", ConsentStatus.GRANTED)] < email_granted
    assert unsubscribed and unsubscribed <= suppressed and len(suppressed) > len(unsubscribed)
    assert set(tags) >= {"vip", "wholesale"} and tags["vip"] < 200
    assert members and members > 20


def test_events_fall_in_the_last_year(engine: Engine, demo2000: DemoWorkspace) -> None:
    ws = demo2000.workspace_id
    with Session(engine) as s:
        first, last = s.execute(select(func.min(Event.occurred_at), func.max(Event.occurred_at))
                                .where(Event.workspace_id == ws)).one()
        by_name = dict(s.execute(select(Event.name, func.count()).where(Event.workspace_id == ws)
                                 .group_by(Event.name)).all())
        pricing = s.scalar(select(func.count()).select_from(Event).where(
            Event.workspace_id == ws, Event.name == "page_view", Event.properties["url"].as_string() == "/pricing"))
        per_contact = Counter(s.scalars(select(Event.contact_id).where(Event.workspace_id == ws)))
    assert first >= ANCHOR - timedelta(days=366) and last < ANCHOR
    assert {"page_view", "app_open", "signup", "add_to_cart", "checkout_started", "email_click"} <= set(by_name)
    assert by_name["page_view"] == max(by_name.values()) and pricing
    assert max(per_contact.values()) >= 30 and sum(by_name.values()) > 4000
