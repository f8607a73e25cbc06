"""Load Kempen's own conversions and the touches before them, in bulk (three set-based queries).

A conversion is a paid or fulfilled order, or a `conversions` row tied to a contact (a row that names
an order is that order's conversion, not a second one). Its touches are the contact's open and click
tracking events within the click window (default 7 days) or open window (default 1 day) up to the
conversion. A conversion that came through a tracked link (`delivery_id`) counts that delivery as a
click at the conversion time when no click of it is among the touches already.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Interval,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from kempen.models import Delivery, Order, OrderStatus
from kempen.models.tracking import Conversion, TouchKind, TrackingEvent
from kempen.tracking.settings import get_tracking_settings

COUNTED_ORDER_STATUSES = (OrderStatus.PAID, OrderStatus.FULFILLED)
TOUCH_KINDS = (TouchKind.OPEN, TouchKind.CLICK)


@dataclass(frozen=True, slots=True)
class OwnTouch:
    """An open or click of one delivery of a campaign message."""

    at: datetime
    kind: str
    campaign_id: int
    message_id: int
    variant_id: int
    channel: str
    delivery_id: int | None


@dataclass(slots=True)
class Journey:
    """One conversion and its touches in time order."""

    key: str
    contact_id: int
    at: datetime
    value: Decimal
    currency: str
    touches: list[OwnTouch] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Window:
    """The workspace settings that decide which touches count."""

    click_days: int
    open_days: int
    exclude_machine: bool
    currency: str
    default_model: str


def load_window(session: Session, *, workspace_id: int) -> Window:
    """Read the attribution windows, machine-event rule, currency and default model of a workspace."""
    s = get_tracking_settings(session, workspace_id=workspace_id)
    return Window(click_days=s.click_window_days, open_days=s.open_window_days,
                  exclude_machine=s.exclude_machine_events, currency=s.currency, default_model=s.attribution_model)


def _conversions(workspace_id: int, since: datetime, until: datetime) -> Subquery:
    """Orders and contact conversions in [since, until) as one union (order_id links a conversion row to its order)."""
    orders = select(
        literal("order").label("source"), Order.id.label("id"), Order.contact_id.label("contact_id"),
        Order.placed_at.label("at"), Order.amount.label("value"), Order.currency.label("currency"),
        null().cast(BigInteger).label("delivery_id"), null().cast(BigInteger).label("order_id"),
    ).where(Order.workspace_id == workspace_id, Order.status.in_(COUNTED_ORDER_STATUSES),
            Order.placed_at >= since, Order.placed_at < until)
    rows = select(
        literal("conversion"), Conversion.id, Conversion.contact_id, Conversion.occurred_at, Conversion.value,
        Conversion.currency, Conversion.delivery_id, Conversion.order_id,
    ).where(Conversion.workspace_id == workspace_id, Conversion.contact_id.is_not(None),
            Conversion.occurred_at >= since, Conversion.occurred_at < until)
    return union_all(orders, rows).subquery("conv")


def _within(event_at: Any, conversion_at: Any, days: ColumnElement[Any], dialect: str) -> ColumnElement[bool]:
    """`event_at` is at most `days` before `conversion_at` (date arithmetic differs per dialect)."""
    if dialect == "postgresql":
        return event_at >= conversion_at - func.make_interval(0, 0, 0, days, type_=Interval)
    return func.julianday(event_at) >= func.julianday(conversion_at) - days


def _touch_filter(workspace_id: int, window: Window) -> list[ColumnElement[bool]]:
    te = TrackingEvent
    clauses = [te.workspace_id == workspace_id, te.kind.in_(TOUCH_KINDS), te.campaign_id.is_not(None),
               te.message_id.is_not(None), te.variant_id.is_not(None)]
    if window.exclude_machine:
        clauses.append(te.machine.is_(False))
    return clauses


def load_journeys(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                  window: Window) -> list[Journey]:
    """Every conversion in [since, until) with its in-window touches, in time order."""
    conv = _conversions(workspace_id, since, until)
    d = Delivery
    rows = session.execute(
        select(conv, d.campaign_id, d.message_id, d.variant_id, d.channel)
        .outerjoin(d, and_(d.id == conv.c.delivery_id, d.workspace_id == workspace_id))).all()
    journeys: dict[str, Journey] = {}
    linked: list[tuple[str, Any]] = []
    for row in rows:
        if row.source == "conversion" and row.order_id is not None:
            linked.append((f"order:{row.order_id}", row))  # the order is the conversion; keep its click
            continue
        key = f"{row.source}:{row.id}"
        journeys[key] = Journey(key, row.contact_id, row.at, Decimal(row.value), row.currency)
        if row.delivery_id is not None and row.campaign_id is not None:
            linked.append((key, row))
    for key, touch in _touches(session, conv, workspace_id, window):
        journeys[key].touches.append(touch)
    for key, row in linked:
        journey = journeys.get(key)
        if journey is not None and row.campaign_id is not None:
            _add_link_click(journey, row)
    for journey in journeys.values():
        journey.touches.sort(key=lambda t: (t.at, t.kind != TouchKind.OPEN))
    return list(journeys.values())


def _touches(session: Session, conv: Subquery, workspace_id: int,
             window: Window) -> Iterator[tuple[str, OwnTouch]]:
    te = TrackingEvent
    dialect = session.get_bind().dialect.name
    days = case((te.kind == TouchKind.CLICK, window.click_days), else_=window.open_days)
    stmt = (select(conv.c.source, conv.c.id, conv.c.order_id, te.occurred_at, te.kind, te.campaign_id,
                   te.message_id, te.variant_id, te.channel, te.delivery_id)
            .join(te, and_(te.contact_id == conv.c.contact_id, te.occurred_at <= conv.c.at,
                           _within(te.occurred_at, conv.c.at, days, dialect)))
            .where(*_touch_filter(workspace_id, window),
                   # A conversion row naming an order is that order's conversion: its touches are the order's.
                   conv.c.order_id.is_(None)))
    for row in session.execute(stmt):
        yield f"{row.source}:{row.id}", OwnTouch(row.occurred_at, str(row.kind), row.campaign_id, row.message_id,
                                                  row.variant_id, str(row.channel or "email"), row.delivery_id)


def _add_link_click(journey: Journey, row: Any) -> None:
    """Count the tracked link a conversion came through as a click, unless a click of it is already there."""
    if any(t.kind == TouchKind.CLICK and t.delivery_id == row.delivery_id for t in journey.touches):
        return
    journey.touches.append(OwnTouch(row.at, str(TouchKind.CLICK), row.campaign_id, row.message_id,
                                    row.variant_id, str(row.channel), row.delivery_id))


def load_null_paths(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                    window: Window) -> dict[int, list[tuple[int, str]]]:
    """Touches in [since, until) of contacts who did not convert then: (campaign, channel) per contact, in order."""
    te = TrackingEvent
    conv = _conversions(workspace_id, since, until)
    stmt = (select(te.contact_id, te.campaign_id, te.channel)
            .where(*_touch_filter(workspace_id, window), te.contact_id.is_not(None),
                   te.occurred_at >= since, te.occurred_at < until,
                   ~exists(select(conv.c.id).where(conv.c.contact_id == te.contact_id)))
            .order_by(te.contact_id, te.occurred_at, te.id))
    paths: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for row in session.execute(stmt):
        paths[row.contact_id].append((row.campaign_id, str(row.channel or "email")))
    return paths
