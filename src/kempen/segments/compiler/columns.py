"""Comparisons on contact columns, custom fields and computed metrics; `days_since`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Numeric,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    not_,
    select,
    type_coerce,
)

from kempen.models import Contact, ContactMetrics
from kempen.segments.compiler import values
from kempen.segments.compiler.context import Context, correlated_exists, rule_error
from kempen.segments.compiler.jsonsql import JsonKind, json_value
from kempen.segments.fields import FieldSource, FieldSpec, FieldType
from kempen.segments.rules import Compare, DaysSince, Op, Value

# Metrics stored NOT NULL with 0 for a contact without orders: a missing metrics row reads as 0 too.
ZERO_METRICS = frozenset({"order_count", "total_spent", "lead_score"})
_JSON_KINDS: dict[FieldType, JsonKind] = {
    FieldType.TEXT: "text", FieldType.CHOICE: "text", FieldType.DATE: "text", FieldType.NUMBER: "number",
    FieldType.BOOLEAN: "boolean", FieldType.DATETIME: "text",
}


def field_spec(name: str, op: Op, ctx: Context) -> FieldSpec:
    """The catalogue entry of a field, checked to take the op."""
    spec = ctx.catalogue.get(name)
    if spec is None:
        raise rule_error(f"unknown field {name!r}")
    if op not in values.OPS_BY_TYPE[spec.type]:
        raise rule_error(f"{op.value} does not apply to {name} ({spec.type.value})")
    return spec


def compile_compare(node: Compare, ctx: Context) -> ColumnElement[bool]:
    spec = field_spec(node.field, node.op, ctx)
    if spec.source == FieldSource.METRIC:
        return _metric(spec, node.op, node.value, ctx)
    if spec.source == FieldSource.CUSTOM:
        if '"' in spec.column or "\\" in spec.column:
            raise rule_error(f"field key {spec.column!r} cannot be read")
        expr: ColumnElement[Any] = json_value(Contact.__table__.c.custom_fields, spec.column, _JSON_KINDS[spec.type])
        return predicate(expr, spec.type, node.op, node.value, ctx)
    if spec.column == "email":
        # Email compares against the normalised (lower-cased) form, the identity key.
        return predicate(Contact.__table__.c.email_normalized, spec.type, node.op, _lower(node.value), ctx)
    column: ColumnElement[Any] = Contact.__table__.c[spec.column]
    if spec.type in (FieldType.TEXT, FieldType.CHOICE):
        column = type_coerce(column, String())  # an enum column must take any text, not only its members
    return predicate(column, spec.type, node.op, node.value, ctx)


def predicate(expr: ColumnElement[Any], kind: FieldType, op: Op, value: Value,
              ctx: Context) -> ColumnElement[bool]:
    """`expr op value`, false when expr is NULL (except IS_NOT_SET): never NULL itself."""
    if op == Op.IS_SET:
        return expr.is_not(None)
    if op == Op.IS_NOT_SET:
        return expr.is_(None)
    try:
        test = _test(expr, kind, op, value, ctx)
    except values.ValueProblem as exc:
        raise rule_error(str(exc)) from None
    return and_(expr.is_not(None), test)


def _test(expr: ColumnElement[Any], kind: FieldType, op: Op, value: Value, ctx: Context) -> ColumnElement[bool]:
    if op in values.TEXT_MATCH:
        pattern = values.as_text(value).lower()
        # The normalised email is stored lower-cased: lower() on it would only cost a full scan's worth of calls.
        lowered = expr if expr is Contact.__table__.c.email_normalized else func.lower(expr)
        if op == Op.CONTAINS:
            return lowered.contains(pattern, autoescape=True)
        if op == Op.STARTS_WITH:
            return lowered.startswith(pattern, autoescape=True)
        return lowered.endswith(pattern, autoescape=True)
    if op in values.MEMBERSHIP:
        items = [_literal(item, kind, ctx, expr) for item in values.as_list(value)]
        return expr.in_(items) if op == Op.IN else expr.not_in(items)
    return expr.op(_SQL_OPS[op], is_comparison=True)(_literal(value, kind, ctx, expr))


_SQL_OPS = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


def _literal(value: object, kind: FieldType, ctx: Context, expr: ColumnElement[Any]) -> Any:
    """A rule literal as a bound parameter of the field's type."""
    if kind in (FieldType.TEXT, FieldType.CHOICE):
        return bindparam(None, values.as_text(value), type_=String())
    if kind == FieldType.NUMBER and isinstance(expr.type, Float):
        # JSON numbers are doubles on both databases: compare as doubles.
        return bindparam(None, float(values.as_number(value)), type_=Float())
    if kind == FieldType.NUMBER:
        # Stored decimals and integers compare exactly with a decimal literal.
        return bindparam(None, values.as_number(value), type_=Numeric())
    if kind == FieldType.BOOLEAN:
        return values.as_bool(value)
    if kind == FieldType.DATE:
        return bindparam(None, values.as_date_text(value, ctx.now), type_=String())
    return values.as_moment(value, ctx.now)


def _lower(value: Value) -> Value:
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, list):
        return [v.strip().lower() if isinstance(v, str) else v for v in value]
    return value


def _metric(spec: FieldSpec, op: Op, value: Value, ctx: Context) -> ColumnElement[bool]:
    rows, matches = _metric_rows(spec, [(op, value)], ctx)
    if spec.column in ZERO_METRICS and _zero_matches(op, value):
        # No metrics row reads as 0, which matches: the contacts whose row does not match are the exceptions.
        return not_(correlated_exists(rows.where(not_(matches))))
    return correlated_exists(rows.where(matches))


def _metric_rows(spec: FieldSpec, tests: list[tuple[Op, Value]], ctx: Context,
                 correlated: bool = True) -> tuple[Select[Any], ColumnElement[bool]]:
    """The workspace's metrics rows (correlated with the contact), and the tests on one column."""
    m = ContactMetrics.__table__.alias("m")
    column: ColumnElement[Any] = m.c[spec.column]
    if spec.type in (FieldType.TEXT, FieldType.CHOICE):
        column = type_coerce(column, String())
    matches = and_(*(predicate(column, spec.type, op, value, ctx) for op, value in tests))
    rows = select(m.c.contact_id).where(m.c.workspace_id == ctx.ws())
    return (rows.where(m.c.contact_id == Contact.id) if correlated else rows), matches


def metric_members(node: Compare | DaysSince, ctx: Context) -> Select[Any] | None:
    """The ids of the contacts a test on a computed property selects, read from contact_metrics alone.

    None when the test is not on a metric, or when contacts without a metrics row match too.
    """
    spec = ctx.catalogue.get(node.field)
    if spec is None or spec.source != FieldSource.METRIC:
        return None
    if isinstance(node, DaysSince):
        if node.op == Op.NE:
            return None
        bounds = values.days_since_bounds(node.op, float(node.value), ctx.now)
        if bounds is None:
            return None
        after, until = bounds
        tests: list[tuple[Op, Value]] = [] if after is None else [(Op.GT, after.isoformat())]
        tests += [] if until is None else [(Op.LE, until.isoformat())]
    else:
        if spec.column in ZERO_METRICS and _zero_matches(node.op, node.value):
            return None
        tests = [(node.op, node.value)]
    rows, matches = _metric_rows(spec, tests, ctx, correlated=False)
    return rows.where(matches)


def _zero_matches(op: Op, value: Value) -> bool:
    if op in values.PRESENCE:
        return op == Op.IS_SET
    if op in values.MEMBERSHIP:
        inside = any(values.as_number(v) == 0 for v in values.as_list(value))
        return inside if op == Op.IN else not inside
    return values.compare(Decimal(0), op, values.as_number(value))


def compile_days_since(node: DaysSince, ctx: Context) -> ColumnElement[bool]:
    """`days_since(field) op n` as a range on the timestamp itself (sargable); false when unset."""
    spec = ctx.catalogue.get(node.field)
    if spec is None or spec.type != FieldType.DATETIME:
        raise rule_error(f"days_since needs a date-time field, not {node.field!r}")
    if node.op == Op.NE:
        equal = compile_days_since(node.model_copy(update={"op": Op.EQ}), ctx)
        return and_(compile_compare(Compare(field=node.field, op=Op.IS_SET), ctx), not_(equal))
    try:
        bounds = values.days_since_bounds(node.op, float(node.value), ctx.now)
    except values.ValueProblem as exc:
        raise rule_error(str(exc)) from None
    if bounds is None:
        return false()
    after, until = bounds
    parts = [] if after is None else [Compare(field=node.field, op=Op.GT, value=after.isoformat())]
    parts += [] if until is None else [Compare(field=node.field, op=Op.LE, value=until.isoformat())]
    if spec.source == FieldSource.METRIC:
        return _metric_range(spec, parts, ctx)
    return and_(*(compile_compare(part, ctx) for part in parts))


def _metric_range(spec: FieldSpec, parts: list[Compare], ctx: Context) -> ColumnElement[bool]:
    # Both bounds in one EXISTS on the metrics row rather than two.
    rows, matches = _metric_rows(spec, [(part.op, part.value) for part in parts], ctx)
    return correlated_exists(rows.where(matches))
