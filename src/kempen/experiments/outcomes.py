"""What counts as a contact's conversions and revenue in a window: one definition for every comparison.

A conversion is a paid or fulfilled order, or a `conversions` row with a contact (a row linked to an
order counts as that order, not twice), placed in [since, until). Revenue is summed in the workspace
currency only: amounts in other currencies still make the contact a converter but add 0 (Kempen does
not convert currencies). The A/B analysis (experiments/variant_stats.py) and the holdout
incrementality (reporting/incrementality.py) both join their groups to this per-contact table, so the
two answers mean the same thing.

No attribution is involved: a comparison between randomly assigned groups (variants of a message, or
treated and holdout) credits each group with everything its contacts did in the window, because the
random split makes everything else equal on average.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, func, literal, select, union_all

from kempen.models import Conversion, Order, OrderStatus

COUNTED_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)


@dataclass(frozen=True)
class GroupStats:
    """Sufficient statistics of one group: contacts, converted contacts, revenue sum and sum of squares."""

    contacts: int = 0
    converted: int = 0
    revenue: float = 0.0
    revenue_squares: float = 0.0


def _in_currency(value: Any, currency: Any, wanted: str) -> ColumnElement[Decimal]:
    """The value where it is in the workspace currency, else 0 (other currencies are not converted)."""
    return case((func.upper(currency) == wanted.upper(), value), else_=literal(0))


def contact_outcomes(*, workspace_id: int, since: datetime, until: datetime, currency: str) -> Subquery:
    """One row per contact who converted in [since, until): `contact_id` and `revenue` (their sum)."""
    orders = select(Order.contact_id.label("contact_id"),
                    _in_currency(Order.amount, Order.currency, currency).label("value")).where(
        Order.workspace_id == workspace_id, Order.status.in_(COUNTED_ORDER_STATUSES),
        Order.placed_at >= since, Order.placed_at < until)
    rows = select(Conversion.contact_id, _in_currency(Conversion.value, Conversion.currency, currency)).where(
        Conversion.workspace_id == workspace_id, Conversion.contact_id.is_not(None),
        Conversion.order_id.is_(None), Conversion.occurred_at >= since, Conversion.occurred_at < until)
    events = union_all(orders, rows).subquery("conversion_events")
    return (select(events.c.contact_id, func.sum(events.c.value).label("revenue"))
            .group_by(events.c.contact_id).subquery("contact_outcomes"))
