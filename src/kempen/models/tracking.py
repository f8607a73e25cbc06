"""What happened after a send: engagement, conversions, costs, preferences and imported attribution paths.

`tracking_events` is written in bulk by the tracking endpoints, so like `deliveries` it keeps only the
foreign keys that deletion needs (campaign and contact, both cascading: a deleted contact leaves no
trace behind). Campaign, message and variant are copied onto each row so reports group without joins.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.kit.clock import utcnow
from kempen.models.base import (
    Base,
    BigIntId,
    JSONValue,
    UTCDateTime,
    created_at_column,
    str_enum,
    updated_at_column,
    workspace_fk,
)
from kempen.models.contacts import Channel


class TouchKind(enum.StrEnum):
    OPEN = "open"                # the tracking pixel was fetched
    CLICK = "click"              # a rewritten link was followed
    UNSUBSCRIBE = "unsubscribe"  # the contact left the channel (page, one-click POST or preference centre)
    BOUNCE = "bounce"            # a DSN or provider report said the message could not be delivered
    COMPLAINT = "complaint"      # an ARF report: the recipient marked it as spam


class BounceType(enum.StrEnum):
    HARD = "hard"  # permanent (5.x.x): the address is suppressed at once
    SOFT = "soft"  # temporary (4.x.x): counted; repeated soft bounces suppress the address


class TrackingEvent(Base):
    """One engagement signal about one delivery (or, for bounces without a match, one address)."""

    __tablename__ = "tracking_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(BigIntId, nullable=False)
    kind: Mapped[TouchKind] = mapped_column(str_enum(TouchKind, "touch_kind", 16), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    campaign_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(BigIntId)
    variant_id: Mapped[int | None] = mapped_column(BigIntId)
    delivery_id: Mapped[int | None] = mapped_column(BigIntId)
    contact_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[Channel | None] = mapped_column(str_enum(Channel, "channel"))
    # Clicks: the destination as it was in the message (before UTM parameters) and its position.
    url: Mapped[str | None] = mapped_column(Text)
    link_index: Mapped[int | None] = mapped_column(Integer)
    # Opens and clicks made by a machine (mail privacy proxy, link scanner); excluded from rates by default.
    machine: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    machine_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(45))
    # Bounces and complaints: type, status code, diagnostic, reporting MTA, feedback type...
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)

    __table_args__ = (
        Index(None, "workspace_id", "campaign_id", "kind", "occurred_at"),
        Index(None, "workspace_id", "contact_id", "occurred_at"),
        Index(None, "delivery_id", "kind"),
    )


class Conversion(Base):
    """A goal reached on a website or reported by a server (orders count as conversions on their own)."""

    __tablename__ = "conversions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    # None when the visitor could not be tied to a contact (still counted in totals, never attributed).
    contact_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"))
    anonymous_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120), nullable=False, default="conversion")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    order_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("orders.id", ondelete="SET NULL"))
    # The delivery whose tracked link brought the visitor (from the click id in the landing URL).
    delivery_id: Mapped[int | None] = mapped_column(BigIntId)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="api")  # "js" or "api"
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index(None, "workspace_id", "occurred_at"),
        Index(None, "workspace_id", "contact_id", "occurred_at"),
    )


class WorkspaceTrackingSettings(Base):
    """A workspace's tracking, attribution and cost settings (one row per workspace, created on first use)."""

    __tablename__ = "workspace_tracking_settings"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    track_opens: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    track_clicks: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    add_utm: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    utm_source: Mapped[str] = mapped_column(String(100), nullable=False, default="kempen")
    # Reports add up money in this currency; amounts in other currencies are reported separately.
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="EUR")
    click_window_days: Mapped[int] = mapped_column(Integer, nullable=False, default=7)
    open_window_days: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    attribution_model: Mapped[str] = mapped_column(String(24), nullable=False, default="last_touch")
    exclude_machine_events: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    email_cost_per_message: Mapped[Decimal] = mapped_column(Numeric(12, 6), nullable=False, default=Decimal("0"))
    sms_cost_per_message: Mapped[Decimal] = mapped_column(Numeric(12, 6), nullable=False, default=Decimal("0"))
    # Identifies the workspace to the conversion snippet on websites; public, not a secret.
    site_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    updated_at: Mapped[datetime] = updated_at_column()


class WorkspaceUniversalHoldout(Base):
    """A workspace's universal holdout: a fixed share of contacts that gets no campaign for a period.

    Membership is a pure function of (seed, contact id) (experiments/universal_holdout.py), so it needs
    no table, is the same on every host, and new contacts fall in or out at the same rate.
    """

    __tablename__ = "workspace_universal_holdouts"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("5"))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Drawn when the holdout is first enabled; a new seed (a new period) draws a new group.
    seed: Mapped[int] = mapped_column(BigIntId, nullable=False, default=0)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    updated_at: Mapped[datetime] = updated_at_column()


class CampaignBudget(Base):
    """The planned budget of a campaign on one channel (Kempen's channels or any other, e.g. "paid_search")."""

    __tablename__ = "campaign_budgets"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(40), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("campaign_id", "channel"), Index(None, "workspace_id", "campaign_id"))


class CampaignSpend(Base):
    """Actual spend of a campaign on one channel and day, entered by hand or imported from a report."""

    __tablename__ = "campaign_spend"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[str] = mapped_column(String(40), nullable=False)
    spend_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="manual")  # "manual" or "import"
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        # Importing the same report again replaces its days instead of counting them twice.
        UniqueConstraint("campaign_id", "channel", "spend_date", "source"),
        Index(None, "workspace_id", "spend_date"),
    )


class Topic(Base):
    """A subject contacts can opt out of in the preference centre (e.g. "newsletter", "product-updates")."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "key"),)


class TopicSubscription(Base):
    """A contact's choice about one topic; no row means subscribed (topics are opt-out)."""

    __tablename__ = "topic_subscriptions"

    workspace_id: Mapped[int] = workspace_fk()
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (Index(None, "workspace_id", "topic_id", "subscribed"),)


class AttributionPathImport(Base):
    """Conversion paths imported from another tool (one row per distinct path), kept for re-analysis."""

    __tablename__ = "attribution_path_imports"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    filename: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # [{"path": ["search", "email"], "conversions": 12, "value": "340.00", "null": 88}, ...]
    paths: Mapped[list[dict[str, Any]]] = mapped_column(JSONValue, nullable=False, default=list)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "created_at"),)
