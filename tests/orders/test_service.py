"""The orders service: upsert by external id, line items, refused rows, contact resolution."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from kempen.contacts.batch import upsert_contacts
from kempen.models import Contact, OrderItem, WebhookDelivery, WebhookEndpoint
from kempen.orders import service
from tests.conftest import Tenant


def _contact(session: Session, workspace_id: int, **keys: str) -> int:
    result = upsert_contacts(session, workspace_id=workspace_id, actor="test", records=[keys])
    assert result.ids[0] is not None
    return result.ids[0]


def _order(external_id: str, **extra: object) -> dict[str, object]:
    return {"external_id": external_id, "placed_at": "2025-03-01T10:00:00", "amount": "19.90",
            "currency": "eur", **extra}


def test_resending_an_order_updates_it_and_replaces_its_items(session: Session, tenant: Tenant) -> None:
    contact_id = _contact(session, tenant.id, email="buyer@example.com")
    first = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=[_order(
        "o-1", contact_id=contact_id, items=[{"sku": "A", "price": "9.95", "quantity": 2},
                                             {"sku": "B", "price": "0"}])])
    assert (first.created, first.updated, first.rejected) == (1, 0, 0)
    again = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=[_order(
        "o-1", contact_email="BUYER@example.com", amount="5", status="refunded",
        items=[{"sku": "C", "name": "Cap", "category": "hats", "price": "5"}])])
    assert (again.created, again.updated) == (0, 1) and again.ids == first.ids
    detail = service.order_detail(session, workspace_id=tenant.id, order_id=first.ids[0] or 0)
    assert detail.amount == Decimal("5.00") and detail.status == "refunded" and detail.currency == "EUR"
    assert [(i.sku, i.name, i.category) for i in detail.items] == [("C", "Cap", "hats")]
    assert detail.placed_at.tzinfo is not None and detail.placed_at.hour == 10
    count = session.scalar(select(func.count()).select_from(OrderItem).where(OrderItem.order_id == detail.id))
    assert count == 1


def test_bad_rows_are_refused_and_good_rows_land(session: Session, tenant: Tenant) -> None:
    contact_id = _contact(session, tenant.id, external_id="C-1")
    records = [
        _order("good-1", contact_external_id="C-1"),
        _order("bad-contact", contact_external_id="nobody"),
        _order("bad-amount", contact_id=contact_id, amount="-1"),
        _order("bad-currency", contact_id=contact_id, currency="EURO"),
        _order("bad-date", contact_id=contact_id, placed_at="yesterday"),
        _order("bad-item", contact_id=contact_id, items=[{"sku": "A", "price": "1", "quantity": 0}]),
        {"placed_at": "2025-01-01", "amount": 1, "currency": "EUR", "contact_id": contact_id},
        _order("good-2", contact_id=contact_id, currency="usd"),
    ]
    result = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=records)
    assert (result.created, result.rejected) == (2, 6)
    assert [e.index for e in result.errors] == [1, 2, 3, 4, 5, 6]
    reasons = {e.index: e.reason for e in result.errors}
    assert "unknown contact" in reasons[1] and "nobody" in reasons[1]
    assert "amount" in reasons[2] and "currency" in reasons[3] and "placed_at" in reasons[4]
    assert "quantity" in reasons[5] and "external_id" in reasons[6]
    assert result.ids[0] is not None and result.ids[7] is not None and result.ids[1:7] == [None] * 6


def test_a_contact_of_another_workspace_is_unknown(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    foreign = _contact(session, other_tenant.id, email="theirs@example.com", external_id="T-1")
    result = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=[
        _order("x-1", contact_id=foreign), _order("x-2", contact_email="theirs@example.com"),
        _order("x-3", contact_external_id="T-1")])
    assert result.rejected == 3 and all("unknown contact" in e.reason for e in result.errors)


def test_create_contact_makes_the_missing_contact(session: Session, tenant: Tenant) -> None:
    result = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=[
        _order("n-1", contact_email="New@Example.com", create_contact=True),
        _order("n-2", contact_email="new@example.com", create_contact=True),
        _order("n-3", contact_email="not-an-email", create_contact=True)])
    assert (result.created, result.rejected) == (2, 1) and "contact" in result.errors[0].reason
    contacts = session.scalars(select(Contact).where(Contact.workspace_id == tenant.id)).all()
    assert [c.email_normalized for c in contacts] == ["new@example.com"]
    orders, _ = service.list_orders(session, workspace_id=tenant.id, contact_id=contacts[0].id)
    assert {o.external_id for o in orders} == {"n-1", "n-2"}


def test_a_large_batch_is_set_based_and_notifies(session: Session, tenant: Tenant) -> None:
    session.add(WebhookEndpoint(workspace_id=tenant.id, url="https://hooks.example.com/k", secret_nonce="n",
                                event_types=["order.created"], is_active=True))
    contacts = upsert_contacts(session, workspace_id=tenant.id, actor="test",
                               records=[{"external_id": f"c{i}"} for i in range(50)]).ids
    records = [_order(f"big-{i}", contact_id=contacts[i % 50], items=[{"sku": "S", "price": "1"}])
               for i in range(2_000)]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=records)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result.created == 2_000 and len(set(result.ids)) == 2_000
    assert len(statements) < 60, len(statements)
    deliveries = session.scalar(select(func.count()).select_from(WebhookDelivery).where(
        WebhookDelivery.workspace_id == tenant.id, WebhookDelivery.event_type == "order.created"))
    assert deliveries == 2_000


def test_nul_characters_are_refused_per_row(session: Session, tenant: Tenant) -> None:
    contact_id = _contact(session, tenant.id, email="nul@example.com")
    result = service.upsert_orders(session, workspace_id=tenant.id, actor="test", records=[
        _order("ok", contact_id=contact_id, items=[{"sku": "ü ✓", "price": "1"}]),
        _order("bad\x00id", contact_id=contact_id),
        _order("bad-item", contact_id=contact_id, items=[{"sku": "a\x00", "price": "1"}])])
    assert (result.created, result.rejected) == (1, 2)
