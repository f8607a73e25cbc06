"""Order payloads: validation shared by the API, the batch upsert and CSV import."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kempen.contacts.schemas import RowError
from kempen.events.schemas import NO_NUL
from kempen.kit.clock import as_utc
from kempen.kit.ids import RowId
from kempen.models import OrderStatus
from kempen.orders.currencies import CURRENCY_CODES

MAX_BATCH = 10_000
Text = Annotated[str, Field(pattern=NO_NUL)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class OrderItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: Annotated[Text, Field(min_length=1, max_length=120)]
    name: Annotated[Text, Field(max_length=300)] = ""
    category: Annotated[Text, Field(max_length=120)] | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    price: Money


class OrderIn(BaseModel):
    """One order as sent by a shop; its contact is named by id, external id or email."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: Annotated[Text, Field(min_length=1, max_length=200)]
    contact_id: RowId | None = None
    contact_external_id: Annotated[Text, Field(max_length=200)] | None = None
    contact_email: Annotated[Text, Field(max_length=320)] | None = None
    create_contact: bool = Field(default=False, description="Create the contact (by email/external id) if unknown")
    placed_at: datetime = Field(description="ISO 8601; a time without zone is taken as UTC")
    amount: Money
    currency: str = Field(description="ISO 4217 code, e.g. EUR")
    status: OrderStatus = OrderStatus.PAID
    channel: Annotated[Text, Field(max_length=40)] | None = None
    items: list[OrderItemIn] = Field(default_factory=list, max_length=1_000)

    @field_validator("placed_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in CURRENCY_CODES:
            raise ValueError(f"unknown currency {value!r}; use an ISO 4217 code, e.g. EUR")
        return code

    @model_validator(mode="after")
    def _needs_contact(self) -> OrderIn:
        if self.contact_id is None and not self.contact_external_id and not self.contact_email:
            raise ValueError("a contact is needed: give contact_id, contact_external_id or contact_email")
        if self.create_contact and not (self.contact_external_id or self.contact_email):
            raise ValueError("create_contact needs contact_external_id or contact_email")
        return self


class OrderUpsertBatch(BaseModel):
    orders: list[dict[str, Any]] = Field(max_length=MAX_BATCH, description="Up to 10,000 orders")


class OrderUpsertResult(BaseModel):
    created: int
    updated: int
    rejected: int
    ids: list[int | None] = Field(description="The order id for each input row, null where rejected")
    errors: list[RowError]


class OrderItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sku: str
    name: str
    category: str | None
    quantity: int
    price: Decimal


class Order(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    contact_id: int
    placed_at: datetime
    amount: Decimal
    currency: str
    status: OrderStatus
    channel: str | None
    created_at: datetime


class OrderDetail(Order):
    items: list[OrderItem]


class OrderPage(BaseModel):
    items: list[OrderDetail]
    next_cursor: str | None
