"""A contact's template context: fields, custom fields, metrics and the last order, as plain values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from kempen.kit.errors import NotFound
from kempen.models import Contact, Order, OrderItem
from kempen.segments.metrics import recompute_metrics
from kempen.templates.context import contact_context, sample_context
from kempen.templates.email import EmailTemplate, render_email
from kempen.templates.sandbox import check_template, render_template
from tests.conftest import Tenant

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _plain_only(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _plain_only(item)
    elif isinstance(value, list):
        for item in value:
            _plain_only(item)
    else:
        assert isinstance(value, str | int | float | bool | Decimal), type(value)


@pytest.fixture
def buyer(session: Session, tenant: Tenant) -> int:
    contact = Contact(workspace_id=tenant.id, email="Ada@Example.com", first_name="Ada",
                      custom_fields={"plan": "pro", "email": "clash@example.com"})
    session.add(contact)
    session.flush()
    for n, (day, amount) in enumerate([(1, "20.00"), (20, "35.50")]):
        order = Order(workspace_id=tenant.id, external_id=f"o-{contact.id}-{n}", contact_id=contact.id,
                      placed_at=datetime(2026, 2, day, tzinfo=UTC), amount=Decimal(amount), currency="EUR")
        session.add(order)
        session.flush()
        session.add(OrderItem(workspace_id=tenant.id, order_id=order.id, sku=f"sku-{n}", name=f"Item {n}",
                              quantity=n + 1, price=Decimal(amount)))
    recompute_metrics(session, workspace_id=tenant.id, now=NOW)
    session.commit()
    return contact.id


def test_context_holds_fields_custom_metrics_and_last_order(session: Session, tenant: Tenant, buyer: int) -> None:
    context = contact_context(session, workspace_id=tenant.id, contact_id=buyer)
    _plain_only(context)
    assert context["first_name"] == "Ada" and context["contact"]["full_name"] == "Ada"
    assert "last_name" not in context
    assert context["custom"] == {"plan": "pro", "email": "clash@example.com"}
    assert context["plan"] == "pro" and context["email"] == "Ada@Example.com"
    assert context["order_count"] == 2 and context["total_spent"] == Decimal("55.50")
    assert context["metrics"]["rfm"]["score"] == context["rfm"]["score"]
    assert context["last_order"]["id"] == f"o-{buyer}-1"
    assert context["last_order"]["amount"] == Decimal("35.50")
    assert context["last_order"]["placed_at"].startswith("2026-02-20")
    assert context["last_order"]["items"] == [{"sku": "sku-1", "name": "Item 1", "quantity": 2,
                                               "price": Decimal("35.50")}]


def test_templates_personalise_from_a_real_contact(session: Session, tenant: Tenant, buyer: int) -> None:
    context = contact_context(session, workspace_id=tenant.id, contact_id=buyer)
    source = ("{{ first_name }} ({{ custom.plan }}, {{ last_name | default('no surname') }}): "
              "{{ order_count }} orders, {{ total_spent | money('EUR') }}; last {{ last_order.placed_at | date('%d %b') }}"
              "{% for i in last_order.items %} {{ i.quantity }}x {{ i.name }}{% endfor %}")
    assert render_template(check_template(source), context) == (
        "Ada (pro, no surname): 2 orders, €55.50; last 20 Feb 2x Item 1")
    email = render_email(EmailTemplate("Hi {{ first_name }}", "", "<p>{{ rfm.group | default('new') }}</p>"),
                         context)
    assert email.subject == "Hi Ada" and email.text


def test_contact_without_orders_gets_defaults(session: Session, tenant: Tenant) -> None:
    contact = Contact(workspace_id=tenant.id, first_name=None, custom_fields={})
    session.add(contact)
    session.commit()
    context = contact_context(session, workspace_id=tenant.id, contact_id=contact.id)
    assert "last_order" not in context and context["order_count"] == 0
    source = "Hi {{ first_name | default('there') }}{% if last_order %}, thanks for {{ last_order.id }}{% endif %}."
    assert render_template(check_template(source), context) == "Hi there."


def test_other_workspaces_contacts_are_not_found(session: Session, tenant: Tenant, other_tenant: Tenant,
                                                 buyer: int) -> None:
    with pytest.raises(NotFound):
        contact_context(session, workspace_id=other_tenant.id, contact_id=buyer)


def test_sample_context_is_plain() -> None:
    context = sample_context()
    _plain_only(context)
    assert context["first_name"] == "Alex" and context["last_order"]["items"]
