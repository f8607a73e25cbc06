"""What a template sees about a contact: plain dicts, strings and numbers, never ORM objects.

`contact_context` builds one contact's context (previews); `contact_contexts` builds the same for
many contacts in four queries per 500 (contacts with their company, metrics, each one's last order
by a window function, that order's items), for the delivery engine. Both lay the values out with
`_assemble`, which runs per contact and so knows the shape instead of walking it generically.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from kempen.contacts.service import get_contact_or_raise
from kempen.kit.sql import chunked
from kempen.models import Company, Contact, ContactMetrics, Order, OrderItem

_CONTACT_FIELDS = ("id", "external_id", "email", "phone", "first_name", "last_name", "country", "city",
                   "time_zone", "language", "lead_source")
_COMPANY_FIELDS = ("name", "domain", "industry", "country")
_METRIC_FIELDS = ("order_count", "total_spent", "avg_order_value", "first_order_at", "last_order_at",
                  "lead_score")
_RFM_FIELDS = {"recency": "rfm_recency", "frequency": "rfm_frequency", "monetary": "rfm_monetary",
               "score": "rfm_score", "group": "rfm_group"}
_ORDER_FIELDS = ("placed_at", "amount", "currency", "status", "channel")
_ITEM_FIELDS = ("sku", "name", "category", "quantity", "price")
_PLAIN_TYPES = frozenset({str, int, float, bool, Decimal})
_CHUNK = 500


def _plain(value: Any) -> Any:
    """A value safe to hand to the sandbox: datetimes as ISO strings, enums as their value, no None in dicts."""
    if value is None or type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum) and isinstance(value.value, str):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool | Decimal):
        return value
    return str(value)


def _plain_fields(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """Named values as a plain dict without the missing ones (the per-contact hot path: no recursion)."""
    return {name: value if type(value) in _PLAIN_TYPES else _plain(value)
            for name, value in zip(names, values, strict=True) if value is not None}


def _contact(values: Sequence[Any], lifecycle_stage: Any, company: dict[str, Any] | None) -> dict[str, Any]:
    contact = _plain_fields(_CONTACT_FIELDS, values)
    first, last = contact.get("first_name"), contact.get("last_name")
    full_name = f"{first} {last}" if first and last else (first or last)
    if full_name:
        contact["full_name"] = full_name
    contact["lifecycle_stage"] = _plain(lifecycle_stage)
    if company is not None:
        contact["company"] = company
    return contact


def _metrics_of(values: Sequence[Any] | None) -> dict[str, Any]:
    """Metrics from the _METRIC_FIELDS and then _RFM_FIELDS values of a row; defaults when there is none."""
    if values is None:
        return {"order_count": 0, "total_spent": Decimal("0.00"), "lead_score": 0}
    metrics = _plain_fields(_METRIC_FIELDS, values[:len(_METRIC_FIELDS)])
    metrics["rfm"] = _plain_fields(tuple(_RFM_FIELDS), values[len(_METRIC_FIELDS):])
    return metrics


# Keys whose holder shadows a custom field of the same name, even when its value is missing.
_CONTACT_KEYS = frozenset(_CONTACT_FIELDS) | {"lifecycle_stage", "company", "full_name"}
_SHADOWING = {True: _CONTACT_KEYS | set(_METRIC_FIELDS) | {"rfm"},
              False: _CONTACT_KEYS | {"order_count", "total_spent", "lead_score"}}


def _assemble(contact: dict[str, Any], custom: dict[str, Any], metrics: dict[str, Any],
              last_order: dict[str, Any] | None) -> dict[str, Any]:
    """Lay out plain parts: named groups, plus contact, metric and then custom keys at the top level.

    A key's first holder wins even when its value is missing: a contact without a last name does not
    show a custom field called ``last_name`` instead.
    """
    custom = {key: value if type(value) in _PLAIN_TYPES else _plain(value)
              for key, value in custom.items() if value is not None}
    shadowing = _SHADOWING["rfm" in metrics]
    context = {key: value for key, value in custom.items() if key not in shadowing}
    context.update(metrics)
    context.update(contact)
    context["custom"], context["metrics"], context["contact"] = custom, metrics, contact
    if last_order is not None:
        context["last_order"] = last_order
    else:
        context.pop("last_order", None)
    return context


def _metrics(session: Session, workspace_id: int, contact_id: int) -> dict[str, Any]:
    row = session.scalar(select(ContactMetrics).where(ContactMetrics.workspace_id == workspace_id,
                                                      ContactMetrics.contact_id == contact_id))
    if row is None:
        return _metrics_of(None)
    return _metrics_of([getattr(row, name) for name in (*_METRIC_FIELDS, *_RFM_FIELDS.values())])


def _order(external_id: str, values: Sequence[Any]) -> dict[str, Any]:
    return {"id": external_id, **_plain_fields(_ORDER_FIELDS, values), "items": []}


def _last_order(session: Session, workspace_id: int, contact_id: int) -> dict[str, Any] | None:
    order = session.scalar(select(Order).where(Order.workspace_id == workspace_id, Order.contact_id == contact_id)
                           .order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))
    if order is None:
        return None
    items = session.scalars(select(OrderItem).where(OrderItem.workspace_id == workspace_id,
                                                    OrderItem.order_id == order.id).order_by(OrderItem.id))
    last_order = _order(order.external_id, [getattr(order, name) for name in _ORDER_FIELDS])
    last_order["items"] = [_plain_fields(_ITEM_FIELDS, [getattr(item, name) for name in _ITEM_FIELDS])
                           for item in items]
    return last_order


def _company(session: Session, workspace_id: int, company_id: int | None) -> dict[str, Any] | None:
    if company_id is None:
        return None
    company = session.scalar(select(Company).where(Company.workspace_id == workspace_id, Company.id == company_id))
    if company is None:
        return None
    return _plain_fields(_COMPANY_FIELDS, [getattr(company, name) for name in _COMPANY_FIELDS])


def contact_context(session: Session, *, workspace_id: int, contact_id: int) -> dict[str, Any]:
    """Build the template context of one contact of the workspace."""
    row: Contact = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    contact = _contact([getattr(row, name) for name in _CONTACT_FIELDS], row.lifecycle_stage,
                       _company(session, workspace_id, row.company_id))
    return _assemble(contact, row.custom_fields or {}, _metrics(session, workspace_id, row.id),
                     _last_order(session, workspace_id, row.id))


def contact_contexts(session: Session, *, workspace_id: int, contact_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Build the contexts of many contacts of the workspace (ids not in it are left out), by id."""
    contexts: dict[int, dict[str, Any]] = {}
    for chunk in chunked(list(dict.fromkeys(contact_ids)), _CHUNK):
        contacts = _bulk_contacts(session, workspace_id, chunk)
        metrics = _bulk_metrics(session, workspace_id, list(contacts))
        orders = _bulk_last_orders(session, workspace_id, list(contacts))
        for contact_id, (contact, custom) in contacts.items():
            contexts[contact_id] = _assemble(contact, custom, _metrics_of(metrics.get(contact_id)),
                                             orders.get(contact_id))
    return contexts


def _among(session: Session, column: InstrumentedAttribute[int], ids: Sequence[int]) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter instead of hundreds of bound values: a short statement, cheap to send.
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger())))
    return column.in_(ids)


def _bulk_contacts(session: Session, workspace_id: int,
                   ids: Sequence[int]) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Each contact (plain, with its company) and its custom fields (as stored), by id."""
    columns = [getattr(Contact, name) for name in _CONTACT_FIELDS]
    company_columns = [getattr(Company, name) for name in _COMPANY_FIELDS]
    # Core execution (no ORM result processing): these run for every email a worker sends.
    rows = session.connection().execute(
        select(*columns, Contact.lifecycle_stage, Contact.custom_fields, Company.id, *company_columns)
        .outerjoin(Company, and_(Company.workspace_id == workspace_id, Company.id == Contact.company_id))
        .where(Contact.workspace_id == workspace_id, _among(session, Contact.id, ids)))
    found: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    width = len(_CONTACT_FIELDS)
    for row in rows:
        company = None if row[width + 2] is None else _plain_fields(_COMPANY_FIELDS, row[width + 3:])
        found[row[0]] = (_contact(row[:width], row[width], company), row[width + 1] or {})
    return found


def _bulk_metrics(session: Session, workspace_id: int, ids: Sequence[int]) -> dict[int, Sequence[Any]]:
    """Each contact's metric values (_METRIC_FIELDS, then _RFM_FIELDS), by id."""
    if not ids:
        return {}
    names = (*_METRIC_FIELDS, *_RFM_FIELDS.values())
    rows = session.connection().execute(
        select(ContactMetrics.contact_id, *(getattr(ContactMetrics, name) for name in names))
        .where(ContactMetrics.workspace_id == workspace_id, _among(session, ContactMetrics.contact_id, ids)))
    return {row[0]: row[1:] for row in rows}


def _bulk_last_orders(session: Session, workspace_id: int, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each contact's latest order (by placed_at, then id) with its items, in two queries."""
    if not ids:
        return {}
    rank = func.row_number().over(partition_by=Order.contact_id, order_by=(Order.placed_at.desc(), Order.id.desc()))
    ranked = (select(Order.id, Order.contact_id, Order.external_id, *(getattr(Order, n) for n in _ORDER_FIELDS),
                     rank.label("rank"))
              .where(Order.workspace_id == workspace_id, _among(session, Order.contact_id, ids)).subquery())
    by_order: dict[int, dict[str, Any]] = {}
    by_contact: dict[int, dict[str, Any]] = {}
    for row in session.connection().execute(select(ranked).where(ranked.c.rank == 1)):
        by_order[row[0]] = by_contact[row[1]] = _order(row[2], row[3:-1])
    if by_order:
        items = session.connection().execute(
            select(OrderItem.order_id, *(getattr(OrderItem, name) for name in _ITEM_FIELDS))
            .where(OrderItem.workspace_id == workspace_id, _among(session, OrderItem.order_id, list(by_order)))
            .order_by(OrderItem.order_id, OrderItem.id))
        for item in items:
            by_order[item[0]]["items"].append(_plain_fields(_ITEM_FIELDS, item[1:]))
    return by_contact


def sample_context() -> dict[str, Any]:
    """A made-up contact for previews when no real contact is chosen."""
    placed = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    contact = {"id": 0, "email": "alex@example.com", "first_name": "Alex", "last_name": "Sample",
               "full_name": "Alex Sample", "country": "NL", "city": "Utrecht", "language": "en",
               "lifecycle_stage": "customer"}
    metrics = {"order_count": 3, "total_spent": Decimal("149.70"), "avg_order_value": Decimal("49.90"),
               "last_order_at": placed, "lead_score": 40,
               "rfm": {"recency": 5, "frequency": 3, "monetary": 4, "score": "534", "group": "loyal"}}
    last_order = {"id": "SAMPLE-1001", "placed_at": placed, "amount": Decimal("49.90"), "currency": "EUR",
                  "status": "paid", "items": [{"sku": "TEA-01", "name": "Green tea", "category": "tea",
                                               "quantity": 2, "price": Decimal("24.95")}]}
    return _assemble(_plain(contact), {"favourite_colour": "green"}, _plain(metrics), _plain(last_order))
