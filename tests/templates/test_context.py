"""A contact's template context: fields, custom fields, metrics and the last order, as plain values."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.orm import Session

from kempen.kit.errors import NotFound
from kempen.models import Company, Contact, Order, OrderItem
from kempen.segments.metrics import recompute_metrics
from kempen.templates.context import contact_context, contact_contexts, sample_context
from kempen.templates.email import EmailTemplate, render_email
from kempen.templates.sandbox import check_template, render_template
from tests.conftest import Tenant, unique

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _plain_only(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _plain_only(item)
    elif isinstance(value, list):
        for item in value:
            _plain_only(item)
    else:
        assert value is None or isinstance(value, str | int | float | bool | Decimal), type(value)


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


# --- many contacts at once ---------------------------------------------------------------------------


def _add_contact(session: Session, workspace_id: int, *, company: Company | None = None,
                 custom: dict[str, Any] | None = None, **fields: Any) -> Contact:
    contact = Contact(workspace_id=workspace_id, company_id=company.id if company else None,
                      custom_fields=custom or {}, **fields)
    session.add(contact)
    session.flush()
    return contact


def _add_order(session: Session, contact: Contact, external_id: str, day: int, items: int) -> None:
    order = Order(workspace_id=contact.workspace_id, external_id=external_id, contact_id=contact.id,
                  placed_at=datetime(2026, 2, day, 9, tzinfo=UTC), amount=Decimal("10.00") * (items + 1),
                  currency="EUR", channel="web" if items % 2 else None)
    session.add(order)
    session.flush()
    for n in range(items):
        session.add(OrderItem(workspace_id=contact.workspace_id, order_id=order.id, sku=f"{external_id}-{n}",
                              name=f"Item {n}", category=None if n % 2 else "tea", quantity=n + 1,
                              price=Decimal("4.50") + n))


@pytest.fixture
def crowd(session: Session, tenant: Tenant, other_tenant: Tenant) -> list[int]:
    """Contacts with and without company, metrics, orders (ties on placed_at) and custom fields."""
    acme = Company(workspace_id=tenant.id, name="Acme", domain="acme.example", industry=None, country="NL")
    foreign = Company(workspace_id=other_tenant.id, name="Elsewhere")
    session.add_all([acme, foreign])
    session.flush()
    people = [
        _add_contact(session, tenant.id, company=acme, email="a@example.com", first_name="Ada", last_name="Lovelace",
                     custom={"plan": "pro", "score": 3.5, "tags": ["x", None], "nested": {"a": None, "b": 1}}),
        _add_contact(session, tenant.id, first_name=None, last_name="Solo",
                     custom={"last_name": "shadowed", "full_name": "shadowed", "last_order": "shadowed",
                             "custom": "shadowed", "order_count": 99, "rfm": "shadowed", "nickname": None}),
        _add_contact(session, tenant.id, phone="+31612345678", time_zone="Europe/Amsterdam"),
        _add_contact(session, tenant.id, email="ghost@example.com", company=foreign),
    ]
    _add_order(session, people[0], unique("o-"), 3, 2)
    _add_order(session, people[0], unique("o-"), 20, 3)
    _add_order(session, people[1], unique("o-"), 5, 0)
    _add_order(session, people[1], unique("o-"), 5, 1)  # same moment: the higher id is the last order
    recompute_metrics(session, workspace_id=tenant.id, now=NOW)
    _add_order(session, people[2], unique("o-"), 7, 1)  # an order without metrics yet
    session.commit()
    return [p.id for p in people]


def test_many_contexts_equal_one_at_a_time(session: Session, tenant: Tenant, crowd: list[int]) -> None:
    many = contact_contexts(session, workspace_id=tenant.id, contact_ids=[*crowd, crowd[0]])
    assert sorted(many) == sorted(crowd)
    for contact_id in crowd:
        assert many[contact_id] == contact_context(session, workspace_id=tenant.id, contact_id=contact_id)
        _plain_only(many[contact_id])
    ada, solo, phone, ghost = (many[i] for i in crowd)
    assert ada["contact"]["company"] == {"name": "Acme", "domain": "acme.example", "country": "NL"}
    assert [i["quantity"] for i in ada["last_order"]["items"]] == [1, 2, 3]
    assert solo["last_name"] == "Solo" and solo["custom"]["last_name"] == "shadowed"
    assert "full_name" in solo and solo["order_count"] == 2 and solo["last_order"]["items"][0]["quantity"] == 1
    assert phone["order_count"] == 0 and phone["last_order"]["channel"] == "web"
    assert "company" not in ghost["contact"] and "last_order" not in ghost


def test_other_workspaces_contacts_are_left_out(session: Session, tenant: Tenant, other_tenant: Tenant,
                                                crowd: list[int]) -> None:
    assert contact_contexts(session, workspace_id=other_tenant.id, contact_ids=crowd) == {}
    assert contact_contexts(session, workspace_id=tenant.id, contact_ids=[]) == {}


def _count_statements(session: Session, contact_ids: list[int], workspace_id: int) -> int:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        contact_contexts(session, workspace_id=workspace_id, contact_ids=contact_ids)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_a_fixed_number_of_queries_per_500_contacts(session: Session, tenant: Tenant) -> None:
    people = [_add_contact(session, tenant.id, first_name=f"P{n}") for n in range(501)]
    for person in people[::50]:
        _add_order(session, person, unique("o-"), 1, 2)
    session.commit()
    ids = [p.id for p in people]
    assert _count_statements(session, ids[:5], tenant.id) == 4
    assert _count_statements(session, ids[:500], tenant.id) == 4
    assert _count_statements(session, ids, tenant.id) == 8


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)  # JSONB has no NUL
_custom_value = st.none() | st.booleans() | st.integers(-10**6, 10**6) | _TEXT | st.lists(_TEXT | st.none(), max_size=3)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(st.fixed_dictionaries({
    "first_name": st.none() | st.sampled_from(["", "Ann", "Zoë"]),
    "last_name": st.none() | st.sampled_from(["", "Berg"]),
    "company": st.booleans(), "orders": st.lists(st.tuples(st.integers(1, 3), st.integers(0, 3)), max_size=3),
    "custom": st.dictionaries(st.sampled_from(["plan", "email", "city", "last_order", "lead_score", "x_y"]),
                              _custom_value, max_size=4)}), min_size=1, max_size=6), metrics=st.booleans())
def test_many_contexts_equal_one_at_a_time_for_any_contacts(session: Session, tenant: Tenant,
                                                            people: list[dict[str, Any]], metrics: bool) -> None:
    company = Company(workspace_id=tenant.id, name=unique("co-"))
    session.add(company)
    session.flush()
    ids = []
    for person in people:
        contact = _add_contact(session, tenant.id, company=company if person["company"] else None,
                               custom=person["custom"], first_name=person["first_name"],
                               last_name=person["last_name"])
        for day, items in person["orders"]:
            _add_order(session, contact, unique("o-"), day, items)
        ids.append(contact.id)
    if metrics:
        recompute_metrics(session, workspace_id=tenant.id, now=NOW)
    session.commit()
    many = contact_contexts(session, workspace_id=tenant.id, contact_ids=ids)
    assert many == {i: contact_context(session, workspace_id=tenant.id, contact_id=i) for i in ids}
