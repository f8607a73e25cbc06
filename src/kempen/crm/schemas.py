"""Request and response shapes of the CRM API (companies, fields, tags, lists, consents, suppressions)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kempen.contacts.schemas import MAX_BATCH, Contact, RowError
from kempen.kit.ids import RowId
from kempen.models import Channel, ConsentStatus, CustomFieldType, SuppressionReason

_DOMAIN = re.compile(r"^(?=.{1,255}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
# Ids are 64-bit on both databases; a larger number must be a 422, not a driver overflow.
TagName = Annotated[str, Field(min_length=1, max_length=120)]
ContactIds = Annotated[list[RowId], Field(min_length=1, max_length=MAX_BATCH, description="Up to 10,000 contact ids")]


def normalise_domain(value: str) -> str:
    """Return a bare lower-case domain (no scheme, www. or path), or raise ValueError."""
    text = value.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0].removeprefix("www.")
    if not _DOMAIN.match(text):
        raise ValueError(f"invalid domain {value!r}; use a bare domain such as example.com")
    return text


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CompanyFields(_In):
    name: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    domain: str | None = None
    industry: Annotated[str, Field(max_length=120)] | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code")

    @field_validator("domain")
    @classmethod
    def _check_domain(cls, value: str | None) -> str | None:
        return normalise_domain(value) if value else None

    @field_validator("country")
    @classmethod
    def _check_country(cls, value: str | None) -> str | None:
        if not value:
            return None
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown country code {value!r}; use ISO 3166-1 alpha-2, e.g. MY")
        return value.upper()


class CompanyCreate(CompanyFields):
    name: Annotated[str, Field(min_length=1, max_length=300)]


class CompanyUpdate(CompanyFields):
    pass


class Company(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    domain: str | None
    industry: str | None
    country: str | None
    created_at: datetime
    updated_at: datetime


class CompanyPage(BaseModel):
    items: list[Company]
    next_cursor: str | None


class ContactCompany(_In):
    company_id: RowId | None = Field(description="The company to link, or null to unlink")


class CustomFieldCreate(_In):
    key: Annotated[str, Field(min_length=1, max_length=64)]
    label: Annotated[str, Field(max_length=200)] = ""
    field_type: CustomFieldType
    choices: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = None
    required: bool = False


class CustomField(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    field_type: CustomFieldType
    choices: list[str] | None
    required: bool
    created_at: datetime


class TagCreate(_In):
    name: TagName


class Tag(BaseModel):
    id: int
    name: str
    contact_count: int
    created_at: datetime


class ContactTags(_In):
    names: Annotated[list[TagName], Field(min_length=1, max_length=100)]


class ContactIdBatch(_In):
    contact_ids: ContactIds


class MembershipResult(BaseModel):
    changed: int = Field(description="Contacts added (or removed) by this call; ones already in place are not counted")
    not_found: list[int] = Field(description="Ids that are not contacts of this workspace; ignored")


class ListCreate(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] = ""


class ListUpdate(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None


class ContactList(BaseModel):
    id: int
    name: str
    description: str
    member_count: int
    created_at: datetime


class MemberPage(BaseModel):
    items: list[Contact]
    next_cursor: str | None


class ConsentChange(_In):
    status: ConsentStatus
    source: Annotated[str, Field(max_length=200)] = ""


class ConsentRecord(_In):
    """One row of a consent batch: the contact by id or by email."""

    contact_id: RowId | None = None
    contact_email: str | None = None
    channel: Channel
    status: ConsentStatus
    source: Annotated[str, Field(max_length=200)] = ""
    recorded_at: datetime | None = Field(default=None, description="When the person said so; now if omitted")

    @model_validator(mode="after")
    def _one_reference(self) -> ConsentRecord:
        if (self.contact_id is None) == (self.contact_email is None):
            raise ValueError("give exactly one of contact_id or contact_email")
        return self


class ConsentBatch(_In):
    # Rows are validated one by one (see ConsentRecord), so one bad row does not refuse the rest.
    consents: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH, description="Up to 10,000 consents")


class ConsentBatchResult(BaseModel):
    applied: int
    stale: int = Field(description="Rows older than the consent already recorded; kept the newer one")
    rejected: int
    errors: list[RowError]


class SuppressionCreate(_In):
    channel: Channel
    address: Annotated[str, Field(min_length=1, max_length=320)]
    reason: SuppressionReason = SuppressionReason.MANUAL
    note: Annotated[str, Field(max_length=2000)] = ""


class Suppression(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: Channel
    address: str
    reason: SuppressionReason
    note: str
    created_at: datetime


class SuppressionPage(BaseModel):
    items: list[Suppression]
    next_cursor: str | None


class UnsubscribeRequest(_In):
    channel: Channel = Channel.EMAIL
    source: Annotated[str, Field(max_length=200)] = "api"


class UnsubscribeResult(BaseModel):
    channel: Channel
    status: ConsentStatus
    suppressed_address: str | None = Field(description="The address now suppressed; null if the contact has none")
