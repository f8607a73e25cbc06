"""Campaigns, their messages and variants, and the deliveries the engine sends.

A campaign targets a segment (snapshotted at launch), has one or more messages per channel, each
with one or more variants (A/B split by percentage), and may keep a holdout group that receives
nothing. Launch materialises one `Delivery` per contact and message (unique), grouped into
`DeliveryBatch`es that workers claim with a lease. The database is the source of truth.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

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


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ARCHIVED = "archived"


S = CampaignStatus
# The only moves a campaign may make. Launch is a move to RUNNING; the engine moves RUNNING to COMPLETED
# when no delivery is left pending. Whether DRAFT may skip review is a workspace setting (require_approval).
ALLOWED_TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.DRAFT: frozenset({S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.RUNNING, S.CANCELLED, S.ARCHIVED}),
    S.IN_REVIEW: frozenset({S.DRAFT, S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.DRAFT, S.IN_REVIEW, S.SCHEDULED, S.RUNNING, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.DRAFT, S.APPROVED, S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.PAUSED, S.COMPLETED, S.CANCELLED}),
    S.PAUSED: frozenset({S.RUNNING, S.CANCELLED}),
    S.COMPLETED: frozenset({S.ARCHIVED}),
    S.CANCELLED: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
# Content, audience and settings may change only before launch.
EDITABLE_STATUSES = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED})
# Statuses whose deliveries workers may send.
SENDING_STATUSES = frozenset({S.RUNNING})
del S


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"      # waiting to be sent (maybe not before `not_before`: quiet hours, retry backoff)
    SENDING = "sending"      # claimed by a worker's batch; the outcome is being decided
    SENT = "sent"            # the channel accepted it
    FAILED = "failed"        # permanently failed (reason says why)
    SKIPPED = "skipped"      # left out by an audience rule at send time (reason says which)
    CANCELLED = "cancelled"  # the campaign was cancelled before it was sent


class DeliveryReason(enum.StrEnum):
    """Why a delivery was skipped or failed; counted per campaign in its report."""

    NO_ADDRESS = "no_address"
    NO_CONSENT = "no_consent"
    SUPPRESSED = "suppressed"
    UNSUBSCRIBED = "unsubscribed"
    FREQUENCY_CAP = "frequency_cap"
    TOPIC_OPTED_OUT = "topic_opted_out"  # opted out of the campaign's topic in the preference centre
    RENDER_ERROR = "render_error"
    BOUNCED = "bounced"              # permanent (5xx) refusal of the address
    REJECTED = "rejected"            # permanent refusal of the message itself
    RETRIES_EXHAUSTED = "retries_exhausted"
    OUTCOME_UNKNOWN = "outcome_unknown"  # a worker was lost mid-send and its journal could not be read
    CAMPAIGN_CANCELLED = "campaign_cancelled"


class BatchStatus(enum.StrEnum):
    PENDING = "pending"      # waiting (maybe until `not_before`) to be handed to a worker
    QUEUED = "queued"        # handed to the broker; a worker will claim it
    RUNNING = "running"      # claimed by `lease_owner` until `lease_expires_at`
    DONE = "done"            # no delivery of the batch is left pending or sending
    CANCELLED = "cancelled"


class WorkspaceSendSettings(Base):
    """A workspace's sending defaults and audience rules (one row per workspace, created on first use)."""

    __tablename__ = "workspace_send_settings"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    from_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    from_email: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # Printed in every marketing email's footer (CAN-SPAM and similar laws ask for it).
    postal_address: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # At most `frequency_cap_count` marketing messages per contact and channel in `frequency_cap_days`; 0 = no cap.
    frequency_cap_count: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    frequency_cap_days: Mapped[int] = mapped_column(Integer, nullable=False, default=7)
    # Quiet hours in the contact's local time, minutes after midnight; start == end means none.
    quiet_hours_start: Mapped[int] = mapped_column(Integer, nullable=False, default=21 * 60)
    quiet_hours_end: Mapped[int] = mapped_column(Integer, nullable=False, default=8 * 60)
    # Used for contacts without a time zone.
    default_time_zone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    require_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = updated_at_column()


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[CampaignStatus] = mapped_column(
        str_enum(CampaignStatus, "campaign_status"), nullable=False, default=CampaignStatus.DRAFT)
    segment_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("segments.id", ondelete="SET NULL"))
    # The audience frozen at launch.
    snapshot_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("segment_snapshots.id", ondelete="SET NULL"))
    # Share of the audience (0–50 %) kept as a control group that receives nothing.
    holdout_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("0"))
    respect_quiet_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    respect_frequency_cap: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Contacts who opted out of this topic in the preference centre are skipped.
    topic_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("topics.id", ondelete="SET NULL"))
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Automatic winner (delivery/winner.py): when `winner_metric` is set, launch sends the variants to
    # `winner_test_percent` % of the recipients only; at `winner_decide_at` (launch + wait) the variant
    # that wins on the metric (significant at 95 %, else `winner_fallback`) goes to the rest.
    winner_metric: Mapped[str | None] = mapped_column(String(32))  # an experiments.Metric value
    winner_test_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    winner_wait_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=240)
    winner_fallback: Mapped[str] = mapped_column(String(16), nullable=False, default="first")  # WinnerFallback
    winner_decide_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    winner_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    winner_variant_id: Mapped[int | None] = mapped_column(BigIntId)
    # What the decision saw: per message, the metric, p-value, probabilities, the reason (shown in the UI).
    winner_decision: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # Planning (issue 7): the programme it belongs to and the person responsible for it.
    programme_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("programmes.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    # The brand kit and content blocks as they were at launch (kempen.brand.resolve.BrandContent.to_snapshot),
    # so the whole send uses one version; None before launch: the current ones.
    brand_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONValue)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        Index(None, "status", "winner_decide_at"),
        Index(None, "workspace_id", "programme_id"),
        Index(None, "status", "scheduled_at"),
    )


class CampaignMessage(Base):
    """One message of a campaign on one channel; its content lives in its variants."""

    __tablename__ = "campaign_messages"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Sender overrides; empty means the workspace's defaults.
    from_name: Mapped[str | None] = mapped_column(String(200))
    from_email: Mapped[str | None] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # A sender identity of the brand kit; its From/Reply-To apply where the overrides above are empty.
    sender_identity_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("sender_identities.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("campaign_id", "name"), Index(None, "workspace_id", "campaign_id"))


class MessageVariant(Base):
    """One version of a message's content; contacts are split between a message's variants by percentage."""

    __tablename__ = "message_variants"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    message_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("campaign_messages.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    # Percent of the message's (non-holdout) audience; a message's variants add up to 100.
    split_percent: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    # Email parts (Jinja2 source, checked on save).
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    preheader: Mapped[str] = mapped_column(Text, nullable=False, default="")
    html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # None: the plain-text part is derived from the HTML.
    text: Mapped[str | None] = mapped_column(Text)
    # Text channels (SMS, push) use `body`; anything else a channel needs goes in `content`.
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False, default=dict)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("message_id", "name"), Index(None, "workspace_id", "campaign_id"))


class CampaignHoldoutMember(Base):
    """A contact of the campaign's audience kept out as the control group."""

    __tablename__ = "campaign_holdout_members"

    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)


class DeliveryBatch(Base):
    """A unit of work for one worker: a few hundred deliveries of one message, claimed with a lease."""

    __tablename__ = "delivery_batches"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    message_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("campaign_messages.id", ondelete="CASCADE"), nullable=False)
    status: Mapped[BatchStatus] = mapped_column(
        str_enum(BatchStatus, "batch_status"), nullable=False, default=BatchStatus.PENDING)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "host:pid:token" of the worker holding the lease; its journal file carries the same name.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    delivery_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = created_at_column()
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(None, "status", "not_before"),
        Index(None, "workspace_id", "campaign_id", "status"),
    )


class Delivery(Base):
    """One message to one contact: created at launch, sent at most once (unique per message and contact)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # Only the campaign and the contact are foreign keys: the workspace, message and variant follow from
    # the campaign (deleted with it; messages and variants change only before launch), and the engine owns
    # the batch link. Checking six keys per row made a launch's bulk insert 5x slower on PostgreSQL.
    workspace_id: Mapped[int] = mapped_column(BigIntId, nullable=False)
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    message_id: Mapped[int] = mapped_column(BigIntId, nullable=False)
    variant_id: Mapped[int] = mapped_column(BigIntId, nullable=False)
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), nullable=False)
    batch_id: Mapped[int | None] = mapped_column(BigIntId)
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status"), nullable=False, default=DeliveryStatus.PENDING)
    reason: Mapped[DeliveryReason | None] = mapped_column(str_enum(DeliveryReason, "delivery_reason", 32))
    # The address it went to (email or phone), kept as sent even if the contact changes later.
    address: Mapped[str | None] = mapped_column(String(320))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Quiet hours or retry backoff: not to be sent before this moment.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The channel's id for the sent message (the email Message-ID).
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("campaign_id", "message_id", "contact_id"),
        Index(None, "batch_id", "status"),
        Index(None, "workspace_id", "campaign_id", "status"),
        # Frequency caps count recent sends per contact and channel.
        Index(None, "workspace_id", "contact_id", "channel", "sent_at"),
    )


class SinkMessage(Base):
    """An email caught by the built-in SMTP sink of the embedded setup (nothing leaves the machine)."""

    __tablename__ = "sink_messages"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    # From the X-Kempen-Workspace header; NULL for mail that did not come from Kempen.
    workspace_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"))
    mail_from: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    recipients: Mapped[list[str]] = mapped_column(JSONValue, nullable=False, default=list)
    subject: Mapped[str] = mapped_column(Text, nullable=False, default="")
    message_id_header: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    raw: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    received_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "id"),)
