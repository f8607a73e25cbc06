"""The audit trail, import runs and outbound webhooks."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import (
    Base,
    BigIntId,
    JSONValue,
    UTCDateTime,
    created_at_column,
    str_enum,
    workspace_fk,
)


class AuditEntry(Base):
    """Who did what to which record, and when. Merges record the loser's full snapshot here."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(60), nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False, default=dict)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        Index(None, "workspace_id", "entity_type", "entity_id"),
        Index(None, "workspace_id", "created_at"),
    )


class ImportStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class ImportRun(Base):
    """One CSV import: its counts and the rows it refused, with their reasons."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    filename: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, "import_status", 16),
        nullable=False, default=ImportStatus.RUNNING,
    )
    column_mapping: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The refused rows as CSV (original columns plus line and reason), for download.
    rejects_csv: Mapped[str] = mapped_column(Text, nullable=False, default="")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "workspace_id", "created_at"),)


class WebhookEndpoint(Base):
    """An HTTPS endpoint that receives signed contact and order change notifications.

    The signing secret is derived from the server key and `secret_nonce`, so it is never stored.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    url: Mapped[str] = mapped_column(String(2000), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    event_types: Mapped[list[str]] = mapped_column(JSONValue, nullable=False, default=list)
    secret_nonce: Mapped[str] = mapped_column(String(64), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "is_active"),)


class WebhookDeliveryStatus(enum.StrEnum):
    """pending → delivered, or pending → (retry with backoff) → failed after the last attempt."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(Base):
    """An outbox row: written in the same transaction as the change, sent after commit."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    endpoint_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(60), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False)
    status: Mapped[WebhookDeliveryStatus] = mapped_column(
        str_enum(WebhookDeliveryStatus, "webhook_delivery_status", 16),
        nullable=False, default=WebhookDeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = created_at_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at_column()
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "workspace_id", "endpoint_id", "created_at"),
    )
