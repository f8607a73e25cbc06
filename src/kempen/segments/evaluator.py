"""The reference evaluator: a rule checked contact by contact in plain Python, to test the SQL compiler.

Deliberately naive — one loop per contact, one `if` per node type — so that it is obviously right;
the property tests assert that the compiled SQL selects exactly the contacts this selects. It reads
an in-memory `Dataset` (`load_dataset` fills one from a small workspace; tests only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
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
from kempen.segments.compiler import SegmentCycleError
from kempen.segments.compiler import values as v
from kempen.segments.fields import (
    EVENT_COLUMNS,
    ORDER_FIELDS,
    ORDER_ITEM_FIELDS,
    FieldCatalogue,
    FieldSource,
    FieldType,
)
from kempen.segments.rules import Op

PURCHASED = {"paid", "fulfilled"}
ZERO_METRICS = {"order_count", "total_spent", "lead_score"}
_ITEM_KEYS = {"category": "category", "sku": "sku", "product": "name", "quantity": "quantity", "price": "price"}


@dataclass
class Dataset:
    """One workspace's rows, as plain dicts keyed like the table columns."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)  # each with "items": [dict]
    events: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[int, set[str]] = field(default_factory=dict)
    lists: dict[int, set[str]] = field(default_factory=dict)
    consents: dict[tuple[int, str], str] = field(default_factory=dict)  # (contact, channel) -> status
    suppressions: set[tuple[str, str]] = field(default_factory=set)  # (channel, address)
    # Tracked clicks (`tracking_events`): contact_id, campaign (its name), occurred_at, machine.
    clicks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Env:
    data: Dataset
    now: datetime
    catalogue: FieldCatalogue
    resolve_segment: Callable[[str], rules.Rule]


def evaluate(rule: rules.Rule, dataset: Dataset, *, now: datetime, catalogue: FieldCatalogue,
             resolve_segment: Callable[[str], rules.Rule]) -> set[int]:
    """The ids of the dataset's contacts that match the rule."""
    env = _Env(dataset, now, catalogue, resolve_segment)
    return {cid for cid in dataset.contacts if _matches(rule, cid, env, ())}


def _matches(rule: rules.Rule, cid: int, env: _Env, chain: tuple[str, ...]) -> bool:
    if isinstance(rule, rules.And):
        return all(_matches(r, cid, env, chain) for r in rule.rules)
    if isinstance(rule, rules.Or):
        return any(_matches(r, cid, env, chain) for r in rule.rules)
    if isinstance(rule, rules.Not):
        return not _matches(rule.rule, cid, env, chain)
    if isinstance(rule, rules.InSegment):
        if rule.name in chain:
            raise SegmentCycleError(f"segments refer to each other in a cycle: {rule.name}")
        return _matches(env.resolve_segment(rule.name), cid, env, (*chain, rule.name))
    if isinstance(rule, rules.Compare):
        return _compare(rule, cid, env)
    if isinstance(rule, rules.DaysSince):
        moment = _field_value(rule.field, cid, env)
        if moment is None:
            return False
        days = v.whole_days_since(moment, env.now)
        return days != rule.value if rule.op == Op.NE else v.compare(days, rule.op, rule.value)
    if isinstance(rule, rules.Aggregate):
        return _aggregate(rule, cid, env)
    if isinstance(rule, rules.Ever):
        found = any(_event_matches(e, cid, rule.event, rule.window, (), env) for e in env.data.events)
        return found != rule.negated
    if isinstance(rule, rules.Clicked):
        start = v.window_start(rule.window, env.now)
        return any(_event_matches(e, cid, "email_click", rule.window, (), env)
                   and e["properties"].get("campaign") == rule.campaign for e in env.data.events) or any(
            c["contact_id"] == cid and c["campaign"] == rule.campaign and not c["machine"]
            and (start is None or c["occurred_at"] >= start) for c in env.data.clicks)
    if isinstance(rule, rules.HasTag):
        return rule.name in env.data.tags.get(cid, set())
    if isinstance(rule, rules.InList):
        return rule.name in env.data.lists.get(cid, set())
    if isinstance(rule, rules.HasConsent):
        return _consent(rule.channel, cid, env)
    raise TypeError(f"unknown rule node {rule!r}")


def _field_value(name: str, cid: int, env: _Env) -> Any:
    """A contact's value of a catalogue field, None when unset (metrics without a row: 0 or unset)."""
    spec = env.catalogue.get(name)
    assert spec is not None, name
    if spec.source == FieldSource.METRIC:
        row = env.data.metrics.get(cid)
        if row is None:
            return 0 if spec.column in ZERO_METRICS else None
        return row[spec.column]
    contact = env.data.contacts[cid]
    if spec.source == FieldSource.CUSTOM:
        raw = contact["custom_fields"].get(spec.column)
        return raw if _json_kind_fits(raw, _custom_kind(spec.type)) else None
    return contact["email_normalized" if name == "email" else spec.column]


def _custom_kind(kind: FieldType) -> str:
    return {FieldType.NUMBER: "number", FieldType.BOOLEAN: "boolean"}.get(kind, "text")


def _json_kind_fits(raw: Any, kind: str) -> bool:
    if kind == "any":
        return raw is not None
    if kind == "boolean":
        return isinstance(raw, bool)
    if kind == "number":
        return isinstance(raw, int | float) and not isinstance(raw, bool)
    return isinstance(raw, str)


def _compare(node: rules.Compare, cid: int, env: _Env) -> bool:
    spec = env.catalogue.get(node.field)
    assert spec is not None, node.field
    value = node.value
    if node.field == "email" and spec.source == FieldSource.CONTACT:
        value = [x.strip().lower() if isinstance(x, str) else x for x in value] if isinstance(value, list) else (
            value.strip().lower() if isinstance(value, str) else value)
    json_number = spec.source == FieldSource.CUSTOM and spec.type == FieldType.NUMBER
    return test(_field_value(node.field, cid, env), spec.type, node.op, value, env.now, json_number=json_number)


def test(actual: Any, kind: FieldType, op: Op, value: Any, now: datetime, *, json_number: bool = False) -> bool:
    """`actual op value` by the rule semantics: unset matches only is_not_set."""
    if op == Op.IS_SET:
        return actual is not None
    if op == Op.IS_NOT_SET:
        return actual is None
    if actual is None:
        return False
    if op in v.TEXT_MATCH:
        text, pattern = str(actual).lower(), v.as_text(value).lower()
        if op == Op.CONTAINS:
            return pattern in text
        return text.startswith(pattern) if op == Op.STARTS_WITH else text.endswith(pattern)
    if op in v.MEMBERSHIP:
        inside = any(test(actual, kind, Op.EQ, item, now, json_number=json_number) for item in value)
        return inside if op == Op.IN else not inside
    if kind == FieldType.NUMBER and json_number:
        return v.compare(float(actual), op, float(v.as_number(value)))
    literal: Any = {
        FieldType.TEXT: v.as_text, FieldType.CHOICE: v.as_text, FieldType.NUMBER: v.as_number,
        FieldType.BOOLEAN: v.as_bool, FieldType.DATE: lambda x: v.as_date_text(x, now),
        FieldType.DATETIME: lambda x: v.as_moment(x, now),
    }[kind](value)
    return v.compare(Decimal(actual) if kind == FieldType.NUMBER else actual, op, literal)


def _aggregate(node: rules.Aggregate, cid: int, env: _Env) -> bool:
    if node.source == "orders":
        rows = [o for o in env.data.orders if _order_matches(o, cid, node, env)]
        measures: list[Any] = [o["amount"] for o in rows]
        limit: Any = v.as_number(node.value)
    else:
        rows = [e for e in env.data.events if _event_matches(e, cid, node.event, node.window, node.where, env)]
        props = [e["properties"].get(node.measure) for e in rows] if node.measure else []
        measures = [float(p) for p in props if _json_kind_fits(p, "number")]
        limit = float(node.value)
    if node.function == "count":
        result: Any = len(rows)
    elif node.function == "sum":
        result = sum(measures) if measures else 0
    elif not measures:
        return False  # avg/min/max over nothing is unset
    elif node.function == "avg":
        result = sum(measures) / len(measures)
    else:
        result = min(measures) if node.function == "min" else max(measures)
    return v.compare(result, node.op, limit)


def _order_matches(order: dict[str, Any], cid: int, node: rules.Aggregate, env: _Env) -> bool:
    if order["contact_id"] != cid:
        return False
    if not any(c.field == "status" for c in node.where) and order["status"] not in PURCHASED:
        return False
    start = v.window_start(node.window, env.now)
    if start is not None and order["placed_at"] < start:
        return False
    order_conds = [c for c in node.where if c.field not in ORDER_ITEM_FIELDS]
    item_conds = [c for c in node.where if c.field in ORDER_ITEM_FIELDS]
    if not all(test(order[c.field], ORDER_FIELDS[c.field], c.op, c.value, env.now) for c in order_conds):
        return False
    return not item_conds or any(
        all(test(item[_ITEM_KEYS[c.field]], ORDER_FIELDS[c.field], c.op, c.value, env.now) for c in item_conds)
        for item in order["items"])


def _event_matches(event: dict[str, Any], cid: int, name: str | None, window: rules.Duration | None,
                   where: tuple[rules.Condition, ...], env: _Env) -> bool:
    if event["contact_id"] != cid or (name is not None and event["name"] != name):
        return False
    start = v.window_start(window, env.now)
    if start is not None and event["occurred_at"] < start:
        return False
    for cond in where:
        if cond.field in EVENT_COLUMNS:
            actual, kind = event[cond.field], "text"
        else:
            kind = v.property_kind(cond)
            raw = event["properties"].get(cond.field)
            actual = raw if _json_kind_fits(raw, kind) else None
            actual = "set" if kind == "any" and actual is not None else actual
        field_type = {"number": FieldType.NUMBER, "boolean": FieldType.BOOLEAN}.get(kind, FieldType.TEXT)
        if not test(actual, field_type, cond.op, cond.value, env.now, json_number=True):
            return False
    return True


def _consent(channel: str, cid: int, env: _Env) -> bool:
    if env.data.consents.get((cid, channel)) != "granted":
        return False
    contact = env.data.contacts[cid]
    if channel not in ("email", "sms"):
        return True
    address = contact["email_normalized"] if channel == "email" else contact["phone"]
    return address is not None and (channel, address) not in env.data.suppressions


def _row(obj: Any, columns: list[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in columns}


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") and not isinstance(value, Decimal | datetime) else value


def load_dataset(session: Session, workspace_id: int) -> Dataset:
    """Read a (small) workspace into memory, for tests."""
    data = Dataset()
    ws = workspace_id
    contact_columns = [c.key for c in Contact.__table__.columns]
    for contact in session.scalars(select(Contact).where(Contact.workspace_id == ws)):
        data.contacts[contact.id] = _row(contact, contact_columns)
    metric_columns = [c.key for c in ContactMetrics.__table__.columns]
    for metrics in session.scalars(select(ContactMetrics).where(ContactMetrics.workspace_id == ws)):
        data.metrics[metrics.contact_id] = _row(metrics, metric_columns)
    items: dict[int, list[dict[str, Any]]] = {}
    for item in session.scalars(select(OrderItem).where(OrderItem.workspace_id == ws)):
        items.setdefault(item.order_id, []).append(_row(item, [c.key for c in OrderItem.__table__.columns]))
    for order in session.scalars(select(Order).where(Order.workspace_id == ws)):
        data.orders.append({**_row(order, [c.key for c in Order.__table__.columns]), "items": items.get(order.id, [])})
    for event in session.scalars(select(Event).where(Event.workspace_id == ws)):
        data.events.append(_row(event, [c.key for c in Event.__table__.columns]))
    tagged = select(ContactTag.contact_id, Tag.name).join(Tag, Tag.id == ContactTag.tag_id)
    for cid, name in session.execute(tagged.where(ContactTag.workspace_id == ws)):
        data.tags.setdefault(cid, set()).add(name)
    listed = select(ListMembership.contact_id, ContactList.name).join(ContactList, ContactList.id == ListMembership.list_id)
    for cid, name in session.execute(listed.where(ListMembership.workspace_id == ws)):
        data.lists.setdefault(cid, set()).add(name)
    for consent in session.scalars(select(Consent).where(Consent.workspace_id == ws)):
        data.consents[(consent.contact_id, consent.channel.value)] = consent.status.value
    for row in session.scalars(select(Suppression).where(Suppression.workspace_id == ws)):
        data.suppressions.add((row.channel.value, row.address))
    return data
