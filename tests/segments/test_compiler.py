"""The compiler on the issue's example rules (members worked out by hand), its semantics and its SQL shapes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from kempen.models import (
    Consent,
    Contact,
    ContactList,
    ContactMetrics,
    ContactTag,
    Event,
    ListMembership,
    Order,
    OrderItem,
    Suppression,
    Tag,
)
from kempen.segments import rules
from kempen.segments.compiler import SegmentCycleError, compile_condition, count_query, members_query
from kempen.segments.errors import RuleError
from kempen.segments.fields import FieldCatalogue
from kempen.segments.metrics import recompute_metrics
from tests.conftest import Tenant
from tests.segments.conftest import NOW

DAY = timedelta(days=1)
SEGMENTS = {"high-value": {"type": "compare", "field": "total_spent", "op": ">", "value": 500}}
Shop = dict[str, int]


def _person(session: Session, ws: int, name: str, created_days: float, **fields: Any) -> Contact:
    email = fields.pop("email", None)
    contact = Contact(workspace_id=ws, first_name=name, email=email, email_normalized=email.lower() if email else None,
                      created_at=NOW - created_days * DAY, **fields)
    session.add(contact)
    session.flush()
    return contact


def _order(session: Session, contact: Contact, days: float, amount: str, category: str,
           status: str = "paid") -> None:
    order = Order(workspace_id=contact.workspace_id, external_id=f"{contact.first_name}-{days}-{amount}",
                  contact_id=contact.id, placed_at=NOW - days * DAY, amount=Decimal(amount), currency="MYR",
                  status=status)
    session.add(order)
    session.flush()
    session.add(OrderItem(workspace_id=contact.workspace_id, order_id=order.id, sku="S1", name="Thing",
                          category=category, quantity=1, price=Decimal(amount)))


def _event(session: Session, contact: Contact, name: str, days: float, **properties: Any) -> None:
    session.add(Event(workspace_id=contact.workspace_id, contact_id=contact.id, name=name,
                      occurred_at=NOW - days * DAY, properties=properties))


def _tag(session: Session, contact: Contact, kind: type[Tag] | type[ContactList], name: str) -> None:
    found = session.query(kind).filter_by(workspace_id=contact.workspace_id, name=name).one_or_none()
    if found is None:
        found = kind(workspace_id=contact.workspace_id, name=name)
        session.add(found)
        session.flush()
    link: Any = (ContactTag(workspace_id=contact.workspace_id, contact_id=contact.id, tag_id=found.id)
                 if kind is Tag else ListMembership(workspace_id=contact.workspace_id, contact_id=contact.id,
                                                    list_id=found.id))
    session.add(link)


@pytest.fixture
def shop(session: Session, tenant: Tenant) -> Shop:
    """Five people whose memberships are worked out by hand in each test."""
    ws = tenant.id
    alice = _person(session, ws, "alice", 10, country="MY", lifecycle_stage="customer", email="alice@Example.com")
    bob = _person(session, ws, "bob", 100, country="ET", lifecycle_stage="lead", email="bob@example.org",
                  phone="+60123456789")
    carol = _person(session, ws, "carol", 40, lifecycle_stage="customer", last_name="50% Off")
    dave = _person(session, ws, "dave", 30, country="KE", lifecycle_stage="customer", email="dave@EXAMPLE.COM")
    erin = _person(session, ws, "erin", 1, country="NL", email="erin@example.com")
    _order(session, alice, 20, "300.00", "shoes")
    _order(session, alice, 5, "250.50", "apparel")
    _order(session, bob, 100, "80.00", "apparel")
    _order(session, bob, 10, "500.00", "shoes", status="cancelled")
    _order(session, dave, 61, "600.00", "shoes", status="fulfilled")
    _order(session, erin, 1, "20.00", "shoes", status="pending")
    for days in (1, 2, 6.9):
        _event(session, alice, "page_view", days, url="https://shop.example/pricing")
    _event(session, alice, "signup", 10, method="email")
    _event(session, alice, "email_click", 5, campaign="spring-sale", url="/collections/shoes")
    _event(session, bob, "app_open", 2, platform="ios")
    for days in (1, 3, 8):
        _event(session, bob, "page_view", days, url="/pricing")
    _event(session, bob, "email_click", 40, campaign="spring-sale")
    _event(session, carol, "signup", 40, method="google")
    _event(session, erin, "app_open", 0.5, platform="android")
    _event(session, erin, "signup", 1, method="email")
    _tag(session, alice, Tag, "vip")
    _tag(session, bob, Tag, "vip")
    _tag(session, bob, ContactList, "newsletter-paused")
    session.add_all([Consent(workspace_id=ws, contact_id=alice.id, channel="email", status="granted"),
                     Consent(workspace_id=ws, contact_id=bob.id, channel="email", status="granted"),
                     Consent(workspace_id=ws, contact_id=carol.id, channel="email", status="granted"),
                     Consent(workspace_id=ws, contact_id=erin.id, channel="email", status="denied"),
                     Suppression(workspace_id=ws, channel="email", address="bob@example.org", reason="bounced")])
    session.flush()
    recompute_metrics(session, workspace_id=ws, now=NOW)
    session.commit()
    return {c.first_name or "": c.id for c in (alice, bob, carol, dave, erin)}


@pytest.fixture
def members(session: Session, tenant: Tenant, shop: Shop) -> Callable[[dict[str, Any]], set[str]]:
    names = {v: k for k, v in shop.items()}

    def run(rule: dict[str, Any]) -> set[str]:
        stmt = members_query(rules.rule_from_json(rule), workspace_id=tenant.id, catalogue=FieldCatalogue(), now=NOW,
                             resolve_segment=lambda name: rules.rule_from_json(SEGMENTS[name]))
        return {names[i] for i in session.scalars(stmt)}
    return run


def cmp(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"type": "compare", "field": field, "op": op, "value": value}


def both(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "and", "rules": list(parts)}


def either(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"type": "or", "rules": list(parts)}


def neg(part: dict[str, Any]) -> dict[str, Any]:
    return {"type": "not", "rule": part}


def days(n: int) -> dict[str, Any]:
    return {"amount": n, "unit": "d"}


def orders(function: str, op: str, value: float, window: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "aggregate", "source": "orders", "function": function, "op": op, "value": value,
            "window": days(window) if window else None, **extra}


EXAMPLES = [
    ('country = "MY"', cmp("country", "=", "MY"), {"alice"}),
    ('country in ("MY","ET","KE") and lifecycle_stage = "customer"',
     both(cmp("country", "in", ["MY", "ET", "KE"]), cmp("lifecycle_stage", "=", "customer")), {"alice", "dave"}),
    ('email ends_with "@example.com" or phone is set',
     either(cmp("email", "ends_with", "@example.com"), cmp("phone", "is_set")), {"alice", "bob", "dave", "erin"}),
    ('tag "vip" and not in_list "newsletter-paused"',
     both({"type": "tag", "name": "vip"}, neg({"type": "in_list", "name": "newsletter-paused"})), {"alice"}),
    ("created_at > 30d ago", cmp("created_at", ">", {"ago": days(30)}), {"alice", "erin"}),
    ("orders.count(last 90d) >= 2", orders("count", ">=", 2, 90), {"alice"}),
    ("orders.sum(amount, last 365d) > 500", orders("sum", ">", 500, 365, measure="amount"), {"alice", "dave"}),
    ('orders.count(where category = "shoes", last 180d) >= 1',
     orders("count", ">=", 1, 180, where=[{"field": "category", "op": "=", "value": "shoes"}]), {"alice", "dave"}),
    ("days_since(last_order) > 60", {"type": "days_since", "field": "last_order", "op": ">", "value": 60},
     {"bob", "dave"}),
    ('events.count("page_view", where url contains "/pricing", last 7d) >= 3',
     {"type": "aggregate", "source": "events", "function": "count", "event": "page_view", "op": ">=", "value": 3,
      "where": [{"field": "url", "op": "contains", "value": "/pricing"}], "window": days(7)}, {"alice"}),
    ('never("app_open") and ever("signup")',
     both({"type": "ever", "event": "app_open", "negated": True}, {"type": "ever", "event": "signup"}),
     {"alice", "carol"}),
    ('clicked(campaign "spring-sale", last 30d)', {"type": "clicked", "campaign": "spring-sale", "window": days(30)},
     {"alice"}),
    ('in_segment "high-value" and consent.email',
     both({"type": "in_segment", "name": "high-value"}, {"type": "consent", "channel": "email"}), {"alice"}),
]


@pytest.mark.parametrize(("text", "rule", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_rules(members: Callable[[dict[str, Any]], set[str]], text: str, rule: dict[str, Any],
                       expected: set[str]) -> None:
    assert members(rule) == expected
    assert members(neg(rule)) == {"alice", "bob", "carol", "dave", "erin"} - expected


def test_rfm_groups(session: Session, tenant: Tenant, shop: Shop,
                    members: Callable[[dict[str, Any]], set[str]]) -> None:
    session.execute(update(ContactMetrics).where(ContactMetrics.contact_id == shop["dave"])
                    .values(rfm_group="champions"))
    session.commit()
    assert members(cmp("rfm", "in", ["champions", "loyal"])) == {"dave"}
    # Hand-computed from NTILE(5) over alice, bob, dave (see test_metrics): alice 332, bob 111, dave 223.
    assert members(cmp("rfm", "in", ["potential_loyalist", "lost"])) == {"alice", "bob"}


SEMANTICS = [
    ("!= skips unset values", cmp("country", "!=", "MY"), {"bob", "dave", "erin"}),
    ("not = includes unset values", neg(cmp("country", "=", "MY")), {"bob", "carol", "dave", "erin"}),
    ("not_in skips unset values", cmp("country", "not_in", ["MY", "KE"]), {"bob", "erin"}),
    ("email = compares the normalised form", cmp("email", "=", " ALICE@example.COM"), {"alice"}),
    ("text = is case-sensitive", cmp("first_name", "=", "Alice"), set()),
    ("contains is case-insensitive", cmp("first_name", "contains", "LIC"), {"alice"}),
    ("LIKE metacharacters are literal", cmp("last_name", "contains", "0%"), {"carol"}),
    ("_ is literal", cmp("last_name", "starts_with", "5_"), set()),
    ("is_not_set", cmp("email", "is_not_set"), {"carol"}),
    ("a count of 0 includes contacts without orders", orders("count", "=", 0), {"carol", "erin"}),
    ("count < 2 includes contacts without orders", orders("count", "<", 2), {"bob", "carol", "dave", "erin"}),
    ("naming a status chooses the statuses", orders("count", ">=", 1, where=[
        {"field": "status", "op": "in", "value": ["cancelled", "pending"]}]), {"bob", "erin"}),
    ("avg over no orders is unset", orders("avg", "<", 1000), {"alice", "bob", "dave"}),
    ("sum over no orders is 0", orders("sum", "<", 100), {"bob", "carol", "erin"}),
    ("metric without orders is 0", cmp("order_count", "<=", 0), {"carol", "erin"}),
    ("unset metric is not below anything", cmp("avg_order_value", "<", 1000), {"alice", "bob", "dave"}),
    ("days_since counts whole days", {"type": "days_since", "field": "last_order", "op": "=", "value": 61}, {"dave"}),
    ("days_since is false when unset", neg({"type": "days_since", "field": "last_order", "op": ">", "value": 60}),
     {"alice", "carol", "erin"}),
    ("created_at at exactly 30d ago is not after it", cmp("created_at", ">=", {"ago": days(30)}),
     {"alice", "dave", "erin"}),
    ("clicks outside the window do not count", {"type": "clicked", "campaign": "spring-sale"}, {"alice", "bob"}),
    ("suppressed addresses have no consent", {"type": "consent", "channel": "email"}, {"alice"}),
    ("consent without an address reaches no one", neg({"type": "consent", "channel": "email"}),
     {"bob", "carol", "dave", "erin"}),
]


@pytest.mark.parametrize(("text", "rule", "expected"), SEMANTICS, ids=[s[0] for s in SEMANTICS])
def test_semantics(members: Callable[[dict[str, Any]], set[str]], text: str, rule: dict[str, Any],
                   expected: set[str]) -> None:
    assert members(rule) == expected


def test_count_query_counts_members(session: Session, tenant: Tenant, shop: Shop) -> None:
    stmt = count_query(rules.rule_from_json(cmp("lifecycle_stage", "=", "customer")), workspace_id=tenant.id,
                       catalogue=FieldCatalogue(), now=NOW, resolve_segment=lambda name: pytest.fail(name))
    assert session.scalar(stmt) == 3


def _compile(rule: dict[str, Any], resolve: Callable[[str], rules.Rule] | None = None) -> Any:
    return compile_condition(rules.rule_from_json(rule), workspace_id=7, catalogue=FieldCatalogue(), now=NOW,
                             resolve_segment=resolve or (lambda name: rules.rule_from_json(SEGMENTS[name])))


def test_cycles_are_refused_while_compiling() -> None:
    loop = {"a": {"type": "in_segment", "name": "b"}, "b": both(cmp("country", "=", "MY"),
                                                                {"type": "in_segment", "name": "a"})}
    with pytest.raises(SegmentCycleError, match="a -> b -> a"):
        _compile({"type": "in_segment", "name": "a"}, lambda name: rules.rule_from_json(loop[name]))


@pytest.mark.parametrize("rule", [
    cmp("no_such_field", "=", "x"), cmp("country", ">", "MY"), cmp("order_count", "=", "many"),
    cmp("created_at", ">", "yesterday"), orders("count", "contains", 1), orders("sum", ">", 1, measure="quantity"),
    {"type": "days_since", "field": "country", "op": ">", "value": 1},
])
def test_invalid_rules_are_rule_errors(rule: dict[str, Any]) -> None:
    with pytest.raises(RuleError):
        _compile(rule)


def _sql(rule: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The WHERE condition of the members query as PostgreSQL SQL (one line), and its parameters."""
    stmt = members_query(rules.rule_from_json(rule), workspace_id=7, catalogue=FieldCatalogue(), now=NOW,
                         resolve_segment=lambda name: rules.rule_from_json(SEGMENTS[name]))
    compiled = stmt.compile(dialect=postgresql.dialect())
    prefix = "SELECT contacts.id FROM contacts WHERE contacts.workspace_id = %(workspace_id_1)s::BIGINT AND "
    sql = " ".join(str(compiled).split())
    assert sql.startswith(prefix)
    return sql.removeprefix(prefix), compiled.params


def test_sql_binds_every_value() -> None:
    sql, params = _sql(both(cmp("country", "=", "MY'; DROP TABLE contacts; --"), {"type": "tag", "name": "vip"}))
    assert "MY" not in sql and "vip" not in sql and "DROP" not in sql
    assert "MY'; DROP TABLE contacts; --" in params.values() and "vip" in params.values()


def test_sql_at_least_one_is_a_correlated_exists() -> None:
    sql, params = _sql(orders("count", ">=", 1, 180, where=[{"field": "category", "op": "=", "value": "shoes"}]))
    assert sql.startswith("(EXISTS (SELECT o.contact_id FROM orders AS o WHERE") and "o.contact_id = contacts.id" in sql
    assert "o.placed_at >= %(placed_at_1)s" in sql and "GROUP BY" not in sql
    assert "EXISTS (SELECT 1 FROM order_items AS i WHERE i.workspace_id" in sql and "i.order_id = o.id" in sql
    assert params["placed_at_1"] == NOW - 180 * DAY


def test_sql_none_is_not_exists() -> None:
    sql, _ = _sql({"type": "ever", "event": "app_open", "negated": True})
    assert sql.startswith("NOT (EXISTS (SELECT e.contact_id FROM events AS e WHERE") and "e.contact_id = contacts.id" in sql
    assert "e.name = %(name_1)s" in sql


def test_count_reads_one_table_for_a_simple_positive_rule() -> None:
    from kempen.segments.compiler import count_query

    def counted(rule: dict[str, Any]) -> str:
        stmt = count_query(rules.rule_from_json(rule), workspace_id=1, catalogue=FieldCatalogue(), now=NOW,
                           resolve_segment=lambda name: pytest.fail(name))
        return " ".join(str(stmt.compile(dialect=postgresql.dialect())).split())

    assert "FROM contacts" not in counted(cmp("rfm", "in", ["champions", "loyal"]))
    assert "FROM contacts" not in counted(orders("sum", ">", 500, 365))
    assert "FROM contacts" not in counted({"type": "tag", "name": "vip"})
    # Where contacts without rows match (0 orders, never), counting must start from contacts.
    assert "FROM contacts" in counted(orders("count", "<", 2))
    assert "FROM contacts" in counted({"type": "ever", "event": "app_open", "negated": True})


def test_sql_other_counts_pre_aggregate() -> None:
    sql, _ = _sql({"type": "aggregate", "source": "events", "function": "count", "event": "page_view", "op": ">=",
                   "value": 3, "window": days(7)})
    assert sql == (
        "contacts.id IN (SELECT e.contact_id FROM events AS e WHERE "
        "e.workspace_id = %(param_1)s::BIGINT AND e.name = %(name_1)s::VARCHAR AND e.occurred_at >= "
        "%(occurred_at_1)s::TIMESTAMP WITH TIME ZONE GROUP BY e.contact_id HAVING count(*) >= %(count_1)s::INTEGER)")
    zero, _ = _sql(orders("count", "<", 2))
    assert zero.startswith("(contacts.id NOT IN (SELECT o.contact_id") and "HAVING NOT (count(*) <" in zero


def test_sql_relative_times_are_bound_not_computed() -> None:
    sql, params = _sql({"type": "days_since", "field": "last_order", "op": ">", "value": 60})
    assert "m.last_order_at <= %(last_order_at_1)s" in sql and "now()" not in sql.lower()
    assert params["last_order_at_1"] == NOW - 61 * DAY
    sql, _ = _sql(cmp("created_at", ">", {"ago": days(30)}))
    assert sql == ("contacts.created_at IS NOT NULL AND (contacts.created_at > "
                   "%(created_at_1)s::TIMESTAMP WITH TIME ZONE)")
