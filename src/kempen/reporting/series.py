"""A campaign's figures over time: hourly for the first 72 hours after launch, daily after (in UTC).

Hourly buckets run on to the first midnight (UTC) at least 72 hours after launch, so that every daily
bucket is a whole day.

Each delivery counts once, in the bucket of its first event of a kind (its first open, its first
click...), so the buckets add up to the campaign's totals. Buckets are cut in SQL: `date_trunc` on
PostgreSQL, `strftime` on SQLite, both on UTC timestamps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select, true, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from kempen.attribution.types import AttributedCredit
from kempen.kit.clock import as_utc
from kempen.models import Delivery, DeliveryStatus, TouchKind, TrackingEvent
from kempen.models.base import UTCDateTime
from kempen.reporting.metrics import Selection
from kempen.reporting.schemas import SeriesPoint

HOURLY_FOR = timedelta(hours=72)
_FORMAT = "%Y-%m-%d %H:%M"


class utc_trunc(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it renders
    """A UTC timestamp cut to the start of its hour or day, as text 'YYYY-MM-DD HH:MM'."""

    inherit_cache = True
    name = "utc_trunc"
    type = String()

    def __init__(self, unit: str, column: ColumnElement[Any]) -> None:
        if unit not in ("hour", "day"):
            raise ValueError(unit)
        self.unit = unit
        super().__init__(column)

    def _gen_cache_key(self, anon_map: Any, bindparams: Any) -> Any:
        return (super()._gen_cache_key(anon_map, bindparams), self.unit)


@compiles(utc_trunc, "postgresql")
def _pg(element: utc_trunc, compiler: Any, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"to_char(date_trunc('{element.unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI')"


@compiles(utc_trunc, "sqlite")
def _sqlite(element: utc_trunc, compiler: Any, **kw: Any) -> str:
    column = compiler.process(list(element.clauses)[0], **kw)
    pattern = "%Y-%m-%d %H:00" if element.unit == "hour" else "%Y-%m-%d 00:00"
    return f"strftime('{pattern}', {column})"


def bucket_expr(column: ColumnElement[Any], cutoff: datetime) -> ColumnElement[str]:
    """The bucket a timestamp falls in: its hour before `cutoff`, its day from then on."""
    limit = literal(cutoff, type_=UTCDateTime())
    return case((column < limit, utc_trunc("hour", column)), else_=utc_trunc("day", column))


def hourly_until(launched_at: datetime) -> datetime:
    """The end of the hourly buckets: the first midnight (UTC) at least 72 hours after launch."""
    end = as_utc(launched_at) + HOURLY_FOR
    midnight = end.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == end else midnight + timedelta(days=1)


def bucket_of(at: datetime, cutoff: datetime) -> str:
    """The same rule in Python, for credits computed outside the database."""
    at = as_utc(at)
    start = at.replace(minute=0, second=0, microsecond=0)
    if at >= cutoff:
        start = start.replace(hour=0)
    return start.strftime(_FORMAT)


def _firsts(sel: Selection) -> Any:
    te = TrackingEvent
    human = te.machine.is_(False) if sel.exclude_machine else true()
    base = [te.workspace_id == sel.workspace_id, te.delivery_id.is_not(None)]
    if sel.campaign_ids is not None:
        base.append(te.campaign_id.in_(sel.campaign_ids))
    if sel.channel is not None:
        base.append(te.channel == sel.channel)

    def first(label: str, *conditions: ColumnElement[bool]) -> Any:
        return select(func.min(te.occurred_at).label("at"), literal(label).label("kind")).where(
            *base, *conditions).group_by(te.delivery_id)

    d = Delivery
    sends = select(d.sent_at.label("at"), literal("sent").label("kind")).where(
        d.workspace_id == sel.workspace_id, d.status == DeliveryStatus.SENT, d.sent_at.is_not(None))
    if sel.campaign_ids is not None:
        sends = sends.where(d.campaign_id.in_(sel.campaign_ids))
    if sel.channel is not None:
        sends = sends.where(d.channel == sel.channel)
    return union_all(
        sends,
        first("opens", te.kind.in_([TouchKind.OPEN, TouchKind.CLICK]), human),
        first("clicks", and_(te.kind == TouchKind.CLICK, human)),
        first("unsubscribes", te.kind == TouchKind.UNSUBSCRIBE),
        first("bounces", te.kind == TouchKind.BOUNCE),
        first("complaints", te.kind == TouchKind.COMPLAINT),
    ).subquery("firsts")


def time_series(session: Any, sel: Selection, *, launched_at: datetime,
                credits: Iterable[AttributedCredit] = ()) -> list[SeriesPoint]:
    """Counts per bucket since launch (buckets with nothing in them are left out)."""
    cutoff = hourly_until(launched_at)
    firsts = _firsts(sel)
    # Grouped by the label: PostgreSQL would see the cutoff bound twice as two different expressions.
    bucket = bucket_expr(firsts.c.at, cutoff).label("bucket")
    stmt = select(bucket, firsts.c.kind, func.count()).group_by(bucket, firsts.c.kind)
    points: dict[str, dict[str, Any]] = defaultdict(dict)
    for name, kind, n in session.execute(stmt):
        points[name][kind] = int(n)
    for credit in credits:
        point = points[bucket_of(credit.occurred_at, cutoff)]
        point["conversions"] = point.get("conversions", 0.0) + credit.credit
        point["revenue"] = point.get("revenue", Decimal("0")) + credit.revenue
    return [_point(name, values, cutoff) for name, values in sorted(points.items())]


def _point(name: str, values: dict[str, Any], cutoff: datetime) -> SeriesPoint:
    start = datetime.strptime(name, _FORMAT).replace(tzinfo=cutoff.tzinfo)
    revenue = Decimal(values.pop("revenue", Decimal("0"))).quantize(Decimal("0.01"))
    conversions = round(float(values.pop("conversions", 0.0)), 4)
    return SeriesPoint(start=start, bucket="hour" if start < cutoff else "day", conversions=conversions,
                       revenue=revenue, **values)
