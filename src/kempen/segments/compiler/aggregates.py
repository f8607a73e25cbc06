"""Aggregates over orders and events: `orders.count(last 90d) >= 2`, `events.count("page_view", …) >= 3`.

Counted orders are the paid and fulfilled ones (pending, cancelled and refunded orders are not
purchases), unless the rule's `where` names `status`, which then chooses the statuses itself.
Item conditions (category, sku, product, quantity, price) hold on one line item of the order;
each matching order counts once and adds its order amount once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, String, false, func, not_, select, true, type_coerce
from sqlalchemy.sql import FromClause

from kempen.models import Contact, Event, Order, OrderItem, OrderStatus
from kempen.segments.compiler import values
from kempen.segments.compiler.columns import predicate
from kempen.segments.compiler.context import Context, correlated_exists, rule_error
from kempen.segments.compiler.jsonsql import JsonKind, json_value
from kempen.segments.fields import EVENT_COLUMNS, ORDER_FIELDS, ORDER_ITEM_FIELDS, ORDER_MEASURES, FieldType
from kempen.segments.rules import Aggregate, Condition, Op

PURCHASED = (OrderStatus.PAID.value, OrderStatus.FULFILLED.value)
_ITEM_COLUMNS = {"category": "category", "sku": "sku", "product": "name", "quantity": "quantity", "price": "price"}
_KIND_TYPES: dict[JsonKind, FieldType] = {"text": FieldType.TEXT, "number": FieldType.NUMBER,
                                          "boolean": FieldType.BOOLEAN, "any": FieldType.TEXT}


def compile_aggregate(node: Aggregate, ctx: Context) -> ColumnElement[bool]:
    plan = _plan(node, ctx)
    if isinstance(plan, bool):
        return true() if plan else false()
    found: ColumnElement[bool] = (correlated_exists(plan.members.where(plan.owner == Contact.id)) if plan.exists
                                  else Contact.id.in_(plan.members))
    return not_(found) if plan.negated else found


def aggregate_members(node: Aggregate, ctx: Context) -> Select[Any] | None:
    """The distinct ids of the contacts the aggregate test selects, when that is a positive set."""
    plan = _plan(node, ctx)
    if isinstance(plan, bool) or plan.negated:
        return None
    return plan.members.distinct() if plan.exists else plan.members


@dataclass(frozen=True)
class _Plan:
    members: Select[Any]  # SELECT owner … (grouped: one row per contact; exists: rows to test)
    owner: Any
    exists: bool  # test with a correlated EXISTS ("at least one") rather than IN (… GROUP BY …)
    negated: bool  # the contacts NOT in `members` are the ones selected (0 matches)


def _plan(node: Aggregate, ctx: Context) -> _Plan | bool:
    if node.op not in values.NUMBER_OPS:
        raise rule_error(f"an aggregate compares with =, !=, <, <=, >, >=; not {node.op.value}")
    source, owner, filters, measure = _orders(node, ctx) if node.source == "orders" else _events(node, ctx)
    limit = _number(node.value)
    rows = select(owner).select_from(source).where(*filters)
    if node.function == "count":
        shape = _count_shape(node.op, limit)
        if shape is not None:
            return shape if isinstance(shape, bool) else _Plan(rows, owner, exists=True, negated=shape == "none")
        aggregate: ColumnElement[Any] = func.count()
    elif node.function == "sum":
        aggregate = func.coalesce(func.sum(measure), 0)
    else:
        aggregate = getattr(func, node.function)(measure)
    # A count compares with an integer, so PostgreSQL need not cast every count to numeric.
    bound: Decimal | int = int(limit) if node.function == "count" and limit == limit.to_integral_value() else limit
    test = aggregate.op(_SQL_OPS[node.op], is_comparison=True)(bound)
    # Contacts with no rows aggregate to 0 (count, sum): when 0 matches, exclude the groups that do not.
    zero_matches = node.function in ("count", "sum") and values.compare(Decimal(0), node.op, limit)
    # `id IN (… GROUP BY … HAVING …)`: the groups are built once (a correlated EXISTS over the derived
    # table makes PostgreSQL rebuild the aggregate in every parallel worker, and SQLite probe it per contact).
    groups = rows.group_by(owner).having(not_(test) if zero_matches else test)
    return _Plan(groups, owner, exists=False, negated=zero_matches)


_SQL_OPS = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


def _number(value: object) -> Decimal:
    try:
        return values.as_number(value)
    except values.ValueProblem as exc:
        raise rule_error(str(exc)) from None


def _count_shape(op: Op, limit: Decimal) -> bool | None | Literal["some", "none"]:
    """"some" when the test means "at least one", "none" for "none"; a constant when it never depends."""
    at_zero = values.compare(Decimal(0), op, limit)
    if op in values.ORDERING:
        at_one, at_many = values.compare(Decimal(1), op, limit), values.compare(Decimal(10**15), op, limit)
        positive = at_one if at_one == at_many else None
    else:
        whole = limit >= 1 and limit == limit.to_integral_value()
        positive = None if whole else op == Op.NE
    if positive is None:
        return None
    if positive == at_zero:
        return positive
    return "some" if positive else "none"


def _orders(node: Aggregate, ctx: Context) -> tuple[FromClause, Any, list[Any], Any]:
    if node.event is not None:
        raise rule_error("orders aggregates take no event name")
    measure = node.measure or "amount"
    if measure not in ORDER_MEASURES:
        raise rule_error(f"orders can only be summed by {', '.join(sorted(ORDER_MEASURES))}, not {measure!r}")
    o = Order.__table__.alias("o")
    status = type_coerce(o.c.status, String())
    filters: list[Any] = [o.c.workspace_id == ctx.ws()]
    if not any(c.field == "status" for c in node.where):
        filters.append(status.in_(PURCHASED))
    start = values.window_start(node.window, ctx.now)
    if start is not None:
        filters.append(o.c.placed_at >= start)
    items = [c for c in node.where if c.field in ORDER_ITEM_FIELDS]
    for cond in node.where:
        if cond.field not in ORDER_FIELDS:
            raise rule_error(f"orders have no field {cond.field!r}")
        if cond.field not in ORDER_ITEM_FIELDS:
            column = status if cond.field == "status" else o.c[cond.field]
            filters.append(_condition(column, ORDER_FIELDS[cond.field], cond, ctx))
    if items:
        i = OrderItem.__table__.alias("i")
        tests = [_condition(i.c[_ITEM_COLUMNS[c.field]], ORDER_FIELDS[c.field], c, ctx) for c in items]
        filters.append(select(1).select_from(i).where(
            i.c.workspace_id == ctx.ws(), i.c.order_id == o.c.id, *tests).correlate(o).exists())
    return o, o.c.contact_id, filters, o.c.amount


def _condition(column: Any, kind: FieldType, cond: Condition, ctx: Context) -> ColumnElement[bool]:
    if cond.op not in values.OPS_BY_TYPE[kind]:
        raise rule_error(f"{cond.op.value} does not apply to {cond.field} ({kind.value})")
    return predicate(column, kind, cond.op, cond.value, ctx)


def _events(node: Aggregate, ctx: Context) -> tuple[FromClause, Any, list[Any], Any]:
    e = Event.__table__.alias("e")
    filters = event_filters(e, node.event, node.window, node.where, ctx)
    if node.function == "count":
        return e, e.c.contact_id, filters, None
    if not node.measure:
        raise rule_error(f"events.{node.function} needs a numeric property to aggregate")
    return e, e.c.contact_id, filters, json_value(e.c.properties, _key(node.measure), "number")


def event_filters(e: FromClause, name: str | None, window: Any, where: tuple[Condition, ...],
                  ctx: Context) -> list[Any]:
    """Conditions selecting a contact's events of a name, in a window, with property conditions."""
    filters: list[Any] = [e.c.workspace_id == ctx.ws()]
    if name is not None:
        filters.append(e.c.name == name)
    start = values.window_start(window, ctx.now)
    if start is not None:
        filters.append(e.c.occurred_at >= start)
    for cond in where:
        if cond.field in EVENT_COLUMNS:
            filters.append(_condition(e.c[cond.field], FieldType.TEXT, cond, ctx))
            continue
        kind: JsonKind = values.property_kind(cond)
        column = json_value(e.c.properties, _key(cond.field), kind)
        filters.append(_condition(column, _KIND_TYPES[kind], cond, ctx))
    return filters


def _key(name: str) -> str:
    if '"' in name or "\\" in name:
        raise rule_error(f"property name {name!r} cannot be read")
    return name

