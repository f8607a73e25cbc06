"""Contacts, companies, custom field definitions, tags, lists, consents and suppressions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import (
    Base,
    BigIntId,
    JSONValue,
    created_at_column,
    str_enum,
    updated_at_column,
    workspace_fk,
)


class LifecycleStage(enum.StrEnum):
    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    EVANGELIST = "evangelist"


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    ADS = "ads"
    DIRECT_MAIL = "direct_mail"


class ConsentStatus(enum.StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    UNSUBSCRIBED = "unsubscribed"


class SuppressionReason(enum.StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    MANUAL = "manual"


class CustomFieldType(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        UniqueConstraint("workspace_id", "domain"),
        Index(None, "workspace_id", "name"),
    )


class Contact(Base):
    """A person. Identity is matched by external id, then normalised email, then phone."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    external_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    # Lower-cased, trimmed email: the identity key (the display form keeps the user's casing).
    email_normalized: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(200))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    lifecycle_stage: Mapped[LifecycleStage] = mapped_column(
        str_enum(LifecycleStage, "lifecycle_stage"), nullable=False, default=LifecycleStage.SUBSCRIBER
    )
    lead_source: Mapped[str | None] = mapped_column(String(120))
    company_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("companies.id", ondelete="SET NULL"))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONValue, nullable=False, default=dict)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        UniqueConstraint("workspace_id", "email_normalized"),
        Index(None, "workspace_id", "phone"),
        Index(None, "workspace_id", "country"),
        Index(None, "workspace_id", "lifecycle_stage"),
        Index(None, "workspace_id", "created_at"),
        Index(None, "workspace_id", "company_id"),
        # A workspace's contact ids without reading the wide rows: segment counts semi-join on it.
        Index(None, "workspace_id", "id"),
    )


class CustomFieldDefinition(Base):
    """A workspace's declaration of a custom contact field; values are validated against it on write."""

    __tablename__ = "custom_field_definitions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    field_type: Mapped[CustomFieldType] = mapped_column(str_enum(CustomFieldType, "custom_field_type"), nullable=False)
    choices: Mapped[list[str] | None] = mapped_column(JSONValue)
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "key"),)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)


class ContactTag(Base):
    __tablename__ = "contact_tags"

    workspace_id: Mapped[int] = workspace_fk()
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "tag_id", "contact_id"),)


class ContactList(Base):
    """A static list: membership changes only when someone adds or removes contacts."""

    __tablename__ = "contact_lists"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)


class ListMembership(Base):
    __tablename__ = "list_memberships"

    workspace_id: Mapped[int] = workspace_fk()
    list_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contact_lists.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "contact_id"),)


class Consent(Base):
    """The latest consent state of one contact on one channel, with where it came from."""

    __tablename__ = "consents"

    workspace_id: Mapped[int] = workspace_fk()
    contact_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), primary_key=True)
    status: Mapped[ConsentStatus] = mapped_column(str_enum(ConsentStatus, "consent_status"), nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    recorded_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "workspace_id", "channel", "status"),)


class Suppression(Base):
    """An address that must never be sent to on a channel, whichever contact holds it."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"), nullable=False)
    # Normalised email or E.164 phone.
    address: Mapped[str] = mapped_column(String(320), nullable=False)
    reason: Mapped[SuppressionReason] = mapped_column(str_enum(SuppressionReason, "suppression_reason"), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "channel", "address"),)
