"""Engagement counts per campaign, channel, message, variant or segment: one query per level.

The style is Odoo's mass-mailing statistics: each delivery is joined to one row of flags about it
(what its tracking events say: opened, clicked, bounced, ...), and a level's every count comes out
of one GROUP BY with `COUNT(*) FILTER (WHERE …)`, the same SQL on SQLite and PostgreSQL.

A count of opens or clicks is of deliveries (unique per recipient and message), never of events:
a contact who opens five times is one open. A click counts as an open too (images are often blocked).
With the workspace's `exclude_machine_events`, opens and clicks flagged as made by a machine (mail
privacy proxies, link scanners) are left out of opens and clicks and counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select, true
from sqlalchemy.orm import Session

from kempen.models import (
    BounceType,
    Campaign,
    CampaignHoldoutMember,
    Delivery,
    DeliveryStatus,
    TouchKind,
    TrackingEvent,
)

GROUPS = ("total", "campaign", "channel", "message", "variant", "segment")


@dataclass(frozen=True)
class Selection:
    """Which deliveries a report counts: campaigns of a workspace, maybe one channel."""

    workspace_id: int
    campaign_ids: list[int] | None  # None: every campaign of the workspace
    exclude_machine: bool
    channel: str | None = None


@dataclass
class Counts:
    """Engagement of one group, counted in deliveries."""

    deliveries: int = 0
    skipped: int = 0
    failed: int = 0
    sent: int = 0
    sent_email: int = 0
    sent_sms: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    opens: int = 0
    clicks: int = 0
    machine_opens: int = 0
    machine_clicks: int = 0
    unsubscribes: int = 0
    complaints: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _flag(condition: ColumnElement[bool]) -> Any:
    return func.max(case((condition, 1), else_=0))


def delivery_flags(sel: Selection) -> Any:
    """One row per delivery with tracking events: 1/0 flags of what happened to it."""
    te = TrackingEvent
    human = te.machine.is_(False) if sel.exclude_machine else true()
    engaged = te.kind.in_([TouchKind.OPEN, TouchKind.CLICK])
    stmt = select(
        te.delivery_id.label("delivery_id"),
        _flag(and_(engaged, human)).label("opened"),
        _flag(and_(te.kind == TouchKind.CLICK, human)).label("clicked"),
        _flag(and_(te.kind == TouchKind.OPEN, te.machine.is_(True))).label("machine_opened"),
        _flag(and_(te.kind == TouchKind.CLICK, te.machine.is_(True))).label("machine_clicked"),
        _flag(te.kind == TouchKind.BOUNCE).label("bounced"),
        _flag(and_(te.kind == TouchKind.BOUNCE, te.detail["type"].as_string() == BounceType.HARD.value))
        .label("hard_bounced"),
        _flag(te.kind == TouchKind.UNSUBSCRIBE).label("unsubscribed"),
        _flag(te.kind == TouchKind.COMPLAINT).label("complained"),
    ).where(te.workspace_id == sel.workspace_id, te.delivery_id.is_not(None))
    if sel.campaign_ids is not None:
        stmt = stmt.where(te.campaign_id.in_(sel.campaign_ids))
    return stmt.group_by(te.delivery_id).subquery("flags")


def group_column(group: str) -> Any:
    """The column a level groups deliveries by."""
    columns: dict[str, Any] = {
        "total": literal("total"), "campaign": Delivery.campaign_id, "channel": Delivery.channel,
        "message": Delivery.message_id, "variant": Delivery.variant_id, "segment": Campaign.segment_id,
    }
    return columns[group]


def engagement_query(sel: Selection, key: ColumnElement[Any]) -> Select[Any]:
    """Every count of every group in one statement (deliveries LEFT JOIN their flags, GROUP BY key)."""
    d, f = Delivery, delivery_flags(sel)
    sent = d.status == DeliveryStatus.SENT

    def count(*conditions: ColumnElement[bool]) -> Any:
        return func.count().filter(and_(*conditions))

    stmt = select(
        key.label("key"),
        func.count().label("deliveries"),
        count(d.status == DeliveryStatus.SKIPPED).label("skipped"),
        count(d.status == DeliveryStatus.FAILED).label("failed"),
        count(sent).label("sent"),
        count(sent, d.channel == "email").label("sent_email"),
        count(sent, d.channel == "sms").label("sent_sms"),
        count(sent, f.c.bounced == 1).label("bounced"),
        count(sent, f.c.hard_bounced == 1).label("hard_bounced"),
        count(sent, f.c.opened == 1).label("opens"),
        count(sent, f.c.clicked == 1).label("clicks"),
        count(sent, f.c.machine_opened == 1).label("machine_opens"),
        count(sent, f.c.machine_clicked == 1).label("machine_clicks"),
        count(sent, f.c.unsubscribed == 1).label("unsubscribes"),
        count(sent, f.c.complained == 1).label("complaints"),
    ).select_from(d).join(Campaign, Campaign.id == d.campaign_id).outerjoin(f, f.c.delivery_id == d.id)
    stmt = stmt.where(d.workspace_id == sel.workspace_id, Campaign.workspace_id == sel.workspace_id)
    if sel.campaign_ids is not None:
        stmt = stmt.where(d.campaign_id.in_(sel.campaign_ids))
    if sel.channel is not None:
        stmt = stmt.where(d.channel == sel.channel)
    return stmt.group_by(key)


def engagement(session: Session, sel: Selection, key: ColumnElement[Any]) -> dict[Any, Counts]:
    """Counts per group key (`group_column(level)` or any expression over deliveries and campaigns)."""
    if sel.campaign_ids == []:
        return {}
    found: dict[Any, Counts] = {}
    for row in session.execute(engagement_query(sel, key)).mappings():
        values = {name: int(row[name] or 0) for name in Counts.__dataclass_fields__}
        found[_plain_key(row["key"])] = Counts(**values)
    return found


def holdouts(session: Session, sel: Selection, key: ColumnElement[Any]) -> dict[Any, int]:
    """Holdout (control group) sizes per group; `key` may use CampaignHoldoutMember and Campaign columns."""
    if sel.campaign_ids == []:
        return {}
    h = CampaignHoldoutMember
    stmt = select(key.label("key"), func.count()).select_from(h).join(Campaign, Campaign.id == h.campaign_id).where(
        h.workspace_id == sel.workspace_id, Campaign.workspace_id == sel.workspace_id)
    if sel.campaign_ids is not None:
        stmt = stmt.where(h.campaign_id.in_(sel.campaign_ids))
    return {_plain_key(k): int(n) for k, n in session.execute(stmt.group_by(key))}


def holdout_column(group: str) -> Any:
    """The holdout table's column for a level; None where a holdout has no meaning (channel, variant)."""
    columns: dict[str, Any] = {"total": literal("total"),
                                              "campaign": CampaignHoldoutMember.campaign_id,
                                              "segment": Campaign.segment_id}
    return columns.get(group)


def _plain_key(value: Any) -> Any:
    # Channel enums come back as enums from the ORM column and as text from a literal; report text.
    return value.value if hasattr(value, "value") else value
