"""Contact payloads: validation and normalisation shared by the API and CSV import."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kempen.kit.ids import RowId
from kempen.models import Channel, ConsentStatus, LifecycleStage

_TIME_ZONES = frozenset(available_timezones())
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
MAX_BATCH = 10_000


# The common case, checked without the full validator: a plain ASCII dot-atom local part and a
# hostname with an alphabetic top-level domain. Anything else goes through email-validator.
_PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


@lru_cache(maxsize=65_536)
def normalise_email(value: str) -> str:
    """Validate an email address and return its normalised (lower-case) identity form."""
    candidate = value.strip()
    local, _, domain = candidate.rpartition("@")
    # "--" in a label may make it an IDNA/reserved form (xn--…): the full validator decides those.
    if (_PLAIN_EMAIL.match(candidate) and len(local) <= 64 and len(candidate) <= 254 and "--" not in domain
            and not _is_special_use(domain.lower())):
        return candidate.lower()
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email {value!r}: {exc}") from None
    return result.normalized.lower()


def _is_special_use(domain: str) -> bool:
    return any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAIN_NAMES)


def normalise_phone(value: str, default_region: str | None = None) -> str:
    """Parse a phone number and return it in E.164 form."""
    try:
        number = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"invalid phone number {value!r}; use the international form, e.g. +60123456789") from None
    if not phonenumbers.is_possible_number(number):
        raise ValueError(f"invalid phone number {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Str200 = Annotated[str, Field(max_length=200)]


class ContactFields(BaseModel):
    """The writable fields of a contact; every field is optional so that updates can be partial."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Str200 | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    phone: Annotated[str, Field(max_length=40)] | None = None
    first_name: Str200 | None = None
    last_name: Str200 | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2 code")
    city: Str200 | None = None
    time_zone: str | None = Field(default=None, description="IANA time zone, e.g. Asia/Kuala_Lumpur")
    language: str | None = Field(default=None, description="BCP 47 language tag, e.g. en or pt-BR")
    lifecycle_stage: LifecycleStage | None = None
    lead_source: Annotated[str, Field(max_length=120)] | None = None
    company_id: RowId | None = None
    custom_fields: dict[str, Any] | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=120)]] | None = Field(
        default=None, description="Tag names to add (created when missing)"
    )

    @field_validator("external_id", "email", "phone", "first_name", "last_name", "city", "country",
                     "time_zone", "language", "lead_source", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalise_email(value)
        return value

    @field_validator("country")
    @classmethod
    def _check_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown country code {value!r}; use ISO 3166-1 alpha-2, e.g. MY")
        return code

    @field_validator("time_zone")
    @classmethod
    def _check_time_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in _TIME_ZONES:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name, e.g. Europe/Berlin")
        return value

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str | None) -> str | None:
        if value is not None and not _LANGUAGE.match(value):
            raise ValueError(f"invalid language tag {value!r}; use BCP 47, e.g. en or pt-BR")
        return value

    @model_validator(mode="after")
    def _normalise_phone(self) -> ContactFields:
        if self.phone is not None:
            self.phone = normalise_phone(self.phone, self.country)
        return self

    @property
    def email_normalized(self) -> str | None:
        return normalise_email(self.email) if self.email else None


class ContactCreate(ContactFields):
    @model_validator(mode="after")
    def _needs_identity(self) -> ContactCreate:
        if not (self.external_id or self.email or self.phone):
            raise ValueError("a contact needs at least one of external_id, email or phone")
        return self


class ContactUpdate(ContactFields):
    pass


class ContactUpsertBatch(BaseModel):
    contacts: list[dict[str, Any]] = Field(max_length=MAX_BATCH, description="Up to 10,000 contacts")


class Contact(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str | None
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    country: str | None
    city: str | None
    time_zone: str | None
    language: str | None
    lifecycle_stage: LifecycleStage
    lead_source: str | None
    company_id: int | None
    custom_fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: Channel
    status: ConsentStatus
    source: str
    recorded_at: datetime


class ContactDetail(Contact):
    tags: list[str]
    lists: list[str]
    consents: list[ConsentOut]


class ContactPage(BaseModel):
    items: list[Contact]
    next_cursor: str | None


class RowError(BaseModel):
    index: int
    reason: str


class UpsertResult(BaseModel):
    created: int
    updated: int
    rejected: int
    ids: list[int | None] = Field(description="The contact id for each input row, null where rejected")
    errors: list[RowError]


class MergeRequest(BaseModel):
    survivor_id: RowId
    loser_id: RowId
