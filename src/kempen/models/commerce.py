"""Orders with their line items (purchase history) and behavioural events."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.kit.clock import utcnow
from kempen.models.base import (
    Base,
    BigIntId,
    JSONValue,
    UTCDateTime,
    created_at_column,
    str_enum,
    workspace_fk,
)


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


OrderStatusColumn = str_enum(OrderStatus, "order_status", 16)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    external_id: Mapped[str] = mapped_column(String(200), nullable=False)
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[OrderStatus] = mapped_column(OrderStatusColumn, nullable=False, default=OrderStatus.PAID)
    channel: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        Index(None, "workspace_id", "contact_id", "placed_at"),
        Index(None, "workspace_id", "placed_at"),
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    order_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    sku: Mapped[str] = mapped_column(String(120), nullable=False)
    name: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    category: Mapped[str | None] = mapped_column(String(120))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)

    __table_args__ = (
        Index(None, "workspace_id", "order_id"),
        Index(None, "workspace_id", "category", "order_id"),
    )


class Event(Base):
    """Something a contact did, such as a page view or an app open; ingested idempotently by key."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False, default=dict)
    source: Mapped[str | None] = mapped_column(String(60))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        # Segment rules ask "how many events named X did this contact have since T".
        Index(None, "workspace_id", "contact_id", "name", "occurred_at"),
        Index(None, "workspace_id", "name", "occurred_at"),
    )
