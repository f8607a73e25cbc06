"""Segments, their snapshots, computed contact metrics and lead-score rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import (
    Base,
    BigIntId,
    JSONValue,
    UTCDateTime,
    created_at_column,
    updated_at_column,
    workspace_fk,
)


class Segment(Base):
    """A saved rule. Dynamic: membership is re-evaluated on every use; snapshots freeze it."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The JSON form is the source of truth; the text form is kept as the user last wrote it.
    rule: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False)
    rule_text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)


class SegmentSnapshot(Base):
    """A segment's membership frozen at one moment (campaign audiences, reports)."""

    __tablename__ = "segment_snapshots"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    segment_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("segments.id", ondelete="SET NULL"))
    rule: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False)
    rule_text: Mapped[str] = mapped_column(Text, nullable=False)
    member_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    taken_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "segment_id", "taken_at"),)


class SegmentSnapshotMember(Base):
    __tablename__ = "segment_snapshot_members"

    workspace_id: Mapped[int] = workspace_fk()
    snapshot_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("segment_snapshots.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)

    __table_args__ = (Index(None, "workspace_id", "contact_id"),)


class ContactMetrics(Base):
    """Computed properties of a contact, recomputed in bulk; usable in segment rules.

    RFM: recency, frequency and monetary quintile scores (1–5, 5 best) over the contact's paid
    orders, combined into a named group (champions, loyal, …). Contacts without orders have no
    RFM scores and no group.
    """

    __tablename__ = "contact_metrics"

    workspace_id: Mapped[int] = workspace_fk()
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    order_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_spent: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False, default=0)
    avg_order_value: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rfm_recency: Mapped[int | None] = mapped_column(Integer)
    rfm_frequency: Mapped[int | None] = mapped_column(Integer)
    rfm_monetary: Mapped[int | None] = mapped_column(Integer)
    rfm_score: Mapped[str | None] = mapped_column(String(3))
    rfm_group: Mapped[str | None] = mapped_column(String(32))
    lead_score: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    computed_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index(None, "workspace_id", "rfm_group"),
        Index(None, "workspace_id", "last_order_at"),
        Index(None, "workspace_id", "total_spent"),
    )


class LeadScoreRule(Base):
    """Points a contact earns while it matches a rule; a contact's lead score is the sum."""

    __tablename__ = "lead_score_rules"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False)
    rule_text: Mapped[str] = mapped_column(Text, nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
