"""Determinism, refusal and append, and ids that later ORM inserts do not collide with."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kempen.demo.generate import count_demo_contacts, generate_demo
from kempen.kit.errors import Conflict
from kempen.models import Consent, Contact, Event, Order, OrderItem, Suppression
from tests.demo.conftest import AS_OF, make_demo


def _snapshot(engine: Engine, workspace_id: int) -> dict[str, list[Any]]:
    """Every generated value except ids and workspace ids, keyed by stable external references."""
    with Session(engine) as s:
        contacts = s.execute(select(
            Contact.external_id, Contact.email, Contact.phone, Contact.first_name, Contact.last_name, Contact.country,
            Contact.city, Contact.time_zone, Contact.language, Contact.lifecycle_stage, Contact.lead_source,
            Contact.custom_fields, Contact.created_at, Contact.company_id.is_(None),
        ).where(Contact.workspace_id == workspace_id).order_by(Contact.external_id)).all()
        orders = s.execute(select(Order.external_id, Contact.external_id, Order.placed_at, Order.amount,
                                  Order.currency, Order.status, Order.channel)
                           .join(Contact, Contact.id == Order.contact_id)
                           .where(Order.workspace_id == workspace_id).order_by(Order.external_id)).all()
        items = s.execute(select(Order.external_id, OrderItem.sku, OrderItem.quantity, OrderItem.price)
                          .join(Order, Order.id == OrderItem.order_id).where(OrderItem.workspace_id == workspace_id)
                          .order_by(Order.external_id, OrderItem.id)).all()
        events = s.execute(select(Event.idempotency_key, Event.name, Event.occurred_at, Event.properties, Event.source)
                           .where(Event.workspace_id == workspace_id).order_by(Event.idempotency_key)).all()
        consents = s.execute(select(Contact.external_id, Consent.channel, Consent.status, Consent.recorded_at)
                             .join(Contact, Contact.id == Consent.contact_id)
                             .where(Consent.workspace_id == workspace_id)
                             .order_by(Contact.external_id, Consent.channel)).all()
    return {"contacts": contacts, "orders": orders, "items": items, "events": events, "consents": consents}


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(engine: Engine) -> None:
    first = make_demo(engine, contacts=300, seed=5)
    second = make_demo(engine, contacts=300, seed=5)
    other = make_demo(engine, contacts=300, seed=6)
    a, b, c = (_snapshot(engine, w.workspace_id) for w in (first, second, other))
    assert all(a[table] for table in a)
    assert a == b
    people = [(row.first_name, row.last_name, row.country) for row in a["contacts"]]
    assert people != [(row.first_name, row.last_name, row.country) for row in c["contacts"]]
    assert [row.amount for row in a["orders"]] != [row.amount for row in c["orders"]]


def test_refuses_a_second_run_unless_appending(engine: Engine) -> None:
    demo = make_demo(engine, contacts=100, seed=8)
    with Session(engine) as s, pytest.raises(Conflict, match="already has demo contacts"):
        generate_demo(s, workspace_id=demo.workspace_id, contacts=10, seed=9, as_of=AS_OF, actor="test")
    with Session(engine) as s:
        summary = generate_demo(s, workspace_id=demo.workspace_id, contacts=150, seed=8, as_of=AS_OF, actor="test",
                                append=True)
        s.commit()
        assert summary.first_number == 100
        assert count_demo_contacts(s, workspace_id=demo.workspace_id, seed=8) == 250
        emails = s.scalars(select(Contact.email_normalized).where(Contact.workspace_id == demo.workspace_id))
        assert len(set(emails)) == 250


def test_rows_inserted_afterwards_get_fresh_ids(engine: Engine) -> None:
    demo = make_demo(engine, contacts=200, seed=12)
    ws = demo.workspace_id
    with Session(engine) as s:
        top = {model: s.scalar(select(model.id).order_by(model.id.desc()).limit(1))
               for model in (Contact, Order, OrderItem, Event, Suppression)}
        contact = Contact(workspace_id=ws, email="after-demo@example.org", email_normalized="after-demo@example.org")
        s.add(contact)
        s.flush()
        order = Order(workspace_id=ws, external_id="after-demo-1", contact_id=contact.id,
                      placed_at=datetime(2026, 3, 1, tzinfo=UTC), amount=Decimal("10.00"), currency="EUR")
        s.add(order)
        s.flush()
        item = OrderItem(workspace_id=ws, order_id=order.id, sku="X", price=Decimal("10.00"))
        event = Event(workspace_id=ws, contact_id=contact.id, name="page_view", occurred_at=datetime.now(UTC))
        suppression = Suppression(workspace_id=ws, channel="email", address="after-demo@example.org",
                                  reason="manual")
        s.add_all([item, event, suppression])
        s.commit()
        fresh = {Contact: contact.id, Order: order.id, OrderItem: item.id, Event: event.id, Suppression: suppression.id}
    assert all(fresh[model] > top[model] for model in top)
