"""What a template sees about a contact: plain dicts, strings and numbers, never ORM objects."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.contacts.service import get_contact_or_raise
from kempen.models import Company, Contact, ContactMetrics, Order, OrderItem

_CONTACT_FIELDS = ("id", "external_id", "email", "phone", "first_name", "last_name", "country", "city",
                   "time_zone", "language", "lead_source")
_METRIC_FIELDS = ("order_count", "total_spent", "avg_order_value", "first_order_at", "last_order_at",
                  "lead_score")


def _plain(value: Any) -> Any:
    """A value safe to hand to the sandbox: datetimes as ISO strings, enums as their value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | Decimal):
        return value
    return str(value)


def _metrics(session: Session, workspace_id: int, contact_id: int) -> dict[str, Any]:
    row = session.scalar(select(ContactMetrics).where(ContactMetrics.workspace_id == workspace_id,
                                                      ContactMetrics.contact_id == contact_id))
    if row is None:
        return {"order_count": 0, "total_spent": Decimal("0.00"), "lead_score": 0}
    metrics: dict[str, Any] = {name: getattr(row, name) for name in _METRIC_FIELDS}
    metrics["rfm"] = {"recency": row.rfm_recency, "frequency": row.rfm_frequency,
                      "monetary": row.rfm_monetary, "score": row.rfm_score, "group": row.rfm_group}
    return metrics


def _last_order(session: Session, workspace_id: int, contact_id: int) -> dict[str, Any] | None:
    order = session.scalar(select(Order).where(Order.workspace_id == workspace_id, Order.contact_id == contact_id)
                           .order_by(Order.placed_at.desc(), Order.id.desc()).limit(1))
    if order is None:
        return None
    items = session.scalars(select(OrderItem).where(OrderItem.workspace_id == workspace_id,
                                                    OrderItem.order_id == order.id).order_by(OrderItem.id))
    return {"id": order.external_id, "placed_at": order.placed_at, "amount": order.amount,
            "currency": order.currency, "status": order.status, "channel": order.channel,
            "items": [{"sku": i.sku, "name": i.name, "category": i.category, "quantity": i.quantity,
                       "price": i.price} for i in items]}


def _company(session: Session, workspace_id: int, company_id: int | None) -> dict[str, Any] | None:
    if company_id is None:
        return None
    company = session.scalar(select(Company).where(Company.workspace_id == workspace_id, Company.id == company_id))
    if company is None:
        return None
    return {"name": company.name, "domain": company.domain, "industry": company.industry, "country": company.country}


def _assemble(contact: dict[str, Any], custom: dict[str, Any], metrics: dict[str, Any],
              last_order: dict[str, Any] | None) -> dict[str, Any]:
    """Lay out the context: named groups, plus contact, metric and then custom keys at the top level."""
    names = [contact.get("first_name"), contact.get("last_name")]
    contact["full_name"] = " ".join(n for n in names if n) or None
    context: dict[str, Any] = {"custom": custom, "metrics": metrics, "last_order": last_order}
    for group in (contact, metrics, custom):
        for key, value in group.items():
            context.setdefault(key, value)
    context["contact"] = contact
    plain: dict[str, Any] = _plain(context)
    return plain


def contact_context(session: Session, *, workspace_id: int, contact_id: int) -> dict[str, Any]:
    """Build the template context of one contact of the workspace."""
    row: Contact = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    contact: dict[str, Any] = {name: getattr(row, name) for name in _CONTACT_FIELDS}
    contact["lifecycle_stage"] = row.lifecycle_stage
    contact["company"] = _company(session, workspace_id, row.company_id)
    return _assemble(contact, dict(row.custom_fields or {}),
                     _metrics(session, workspace_id, row.id), _last_order(session, workspace_id, row.id))


def sample_context() -> dict[str, Any]:
    """A made-up contact for previews when no real contact is chosen."""
    placed = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    contact = {"id": 0, "email": "alex@example.com", "first_name": "Alex", "last_name": "Sample",
               "country": "NL", "city": "Utrecht", "language": "en", "lifecycle_stage": "customer"}
    metrics = {"order_count": 3, "total_spent": Decimal("149.70"), "avg_order_value": Decimal("49.90"),
               "last_order_at": placed, "lead_score": 40,
               "rfm": {"recency": 5, "frequency": 3, "monetary": 4, "score": "534", "group": "loyal"}}
    last_order = {"id": "SAMPLE-1001", "placed_at": placed, "amount": Decimal("49.90"), "currency": "EUR",
                  "status": "paid", "items": [{"sku": "TEA-01", "name": "Green tea", "category": "tea",
                                               "quantity": 2, "price": Decimal("24.95")}]}
    return _assemble(contact, {"favourite_colour": "green"}, metrics, last_order)
