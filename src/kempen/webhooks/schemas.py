"""Request and response shapes of the webhook API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kempen.models import WebhookDeliveryStatus
from kempen.webhooks.service import EVENT_TYPES


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: Annotated[str, Field(min_length=1, max_length=2000, description="An https:// URL")]
    description: Annotated[str, Field(max_length=300)] = ""
    event_types: list[str] = Field(default_factory=list, description="Events to receive; empty means all")

    @field_validator("event_types")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown event types {unknown}; choose from {list(EVENT_TYPES)}")
        return sorted(set(value))


class WebhookEndpoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: datetime


class WebhookCreated(WebhookEndpoint):
    secret: str = Field(description="The signing secret; shown this once and never again")


class WebhookDelivery(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime
    response_status: int | None
    last_error: str | None
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[WebhookDelivery]
    next_cursor: str | None
