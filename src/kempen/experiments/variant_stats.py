"""Sufficient statistics per (message, variant) of a campaign, in one SQL query.

Per variant: recipients (deliveries with status "sent": the denominator of every metric), openers and
clickers (recipients with a human open or click of that delivery; a click counts as an open, as in the
reports, since images are often blocked), converters, and the revenue sum and sum of squares per
recipient (`outcomes.contact_outcomes`: orders and conversions of the recipient in the window).

Every recipient's conversions count, whether or not the message is credited with them: the variants
were assigned at random, so whatever else drove those purchases is spread evenly over the variants and
the difference between them is the variants' doing. That is why no attribution model is needed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Subquery, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from kempen.experiments.outcomes import contact_outcomes
from kempen.models import Delivery, DeliveryStatus, TouchKind, TrackingEvent


@dataclass(frozen=True)
class VariantStats:
    """What one variant's recipients did: counts, and revenue per recipient as a sum and a sum of squares."""

    recipients: int = 0
    openers: int = 0
    clickers: int = 0
    converters: int = 0
    revenue: float = 0.0
    revenue_squares: float = 0.0


@dataclass(frozen=True)
class Window:
    """Which sends and outcomes count: sends before `sent_before` (if set), outcomes in [since, until)."""

    since: datetime
    until: datetime
    sent_before: datetime | None = None


def _engagement(workspace_id: int, campaign_id: int, until: datetime, exclude_machine: bool) -> Subquery:
    """One row per delivery with an open or click before `until`: opened / clicked as 1 or 0."""
    te = TrackingEvent
    human: ColumnElement[bool] = te.machine.is_(False) if exclude_machine else true()

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.max(case((condition, 1), else_=0))

    return (select(te.delivery_id.label("delivery_id"),
                   flag(human).label("opened"),
                   flag(and_(te.kind == TouchKind.CLICK, human)).label("clicked"))
            .where(te.workspace_id == workspace_id, te.campaign_id == campaign_id, te.delivery_id.is_not(None),
                   te.kind.in_([TouchKind.OPEN, TouchKind.CLICK]), te.occurred_at < until)
            .group_by(te.delivery_id).subquery("engagement"))


def variant_stats(session: Session, *, workspace_id: int, campaign_id: int, window: Window, currency: str,
                  exclude_machine: bool) -> dict[tuple[int, int], VariantStats]:
    """Per (message id, variant id) with at least one sent delivery: its sufficient statistics."""
    d = Delivery
    flags = _engagement(workspace_id, campaign_id, window.until, exclude_machine)
    outcomes = contact_outcomes(workspace_id=workspace_id, since=window.since, until=window.until,
                                currency=currency)
    revenue = func.coalesce(outcomes.c.revenue, 0)
    stmt = (select(d.message_id, d.variant_id, func.count(),
                   func.count().filter(flags.c.opened == 1),
                   func.count().filter(flags.c.clicked == 1),
                   func.count(outcomes.c.contact_id), func.sum(revenue), func.sum(revenue * revenue))
            .select_from(d)
            .outerjoin(flags, flags.c.delivery_id == d.id)
            .outerjoin(outcomes, outcomes.c.contact_id == d.contact_id)
            .where(d.workspace_id == workspace_id, d.campaign_id == campaign_id, d.status == DeliveryStatus.SENT)
            .group_by(d.message_id, d.variant_id))
    if window.sent_before is not None:
        # Deliveries without a send time (written before sent_at existed) count as sent in time.
        stmt = stmt.where(or_(d.sent_at.is_(None), d.sent_at < window.sent_before))
    return {(message_id, variant_id): VariantStats(int(n), int(opened), int(clicked), int(converted),
                                                   float(total or 0), float(squares or 0))
            for message_id, variant_id, n, opened, clicked, converted, total, squares in session.execute(stmt)}
