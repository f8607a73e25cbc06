"""Event payloads: a typed dict validated in bulk by one TypeAdapter (the ingest hot path)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Required

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from kempen.contacts.schemas import RowError
from kempen.kit.ids import RowId

MAX_BATCH = 10_000
MAX_PROPERTIES_BYTES = 32_768
ContactId = RowId


# PostgreSQL text cannot hold NUL characters; refuse them up front rather than fail the whole batch.
NO_NUL = r"^[^\x00]*$"


def _text(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_NUL)


EventName = Annotated[str, _text(120, 1)]
ExternalId = Annotated[str, _text(200)]
Email = Annotated[str, _text(320)]
Source = Annotated[str, _text(60)]
IdempotencyKey = Annotated[str, _text(200, 1)]


class EventIn(TypedDict, total=False):
    """One behavioural event as sent by a client; a typed dict so that validation stays in Rust."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    name: Required[EventName]
    contact_id: ContactId | None
    contact_external_id: ExternalId | None
    contact_email: Email | None
    occurred_at: datetime
    properties: dict[str, Any]
    source: Source | None
    idempotency_key: IdempotencyKey | None


EVENTS = TypeAdapter(list[EventIn])


def batch_body_schema() -> dict[str, Any]:
    """The OpenAPI schema of `POST /events/batch`, whose body the route parses itself."""
    return {
        "type": "object",
        "required": ["events"],
        "additionalProperties": False,
        "properties": {
            "events": {"type": "array", "maxItems": MAX_BATCH, "items": TypeAdapter(EventIn).json_schema(),
                       "description": "Up to 10,000 events"},
        },
    }


class EventIngestResult(BaseModel):
    accepted: int = Field(description="Events stored by this call")
    duplicates: int = Field(description="Events whose idempotency key was already stored (or repeated in the batch)")
    rejected: int
    errors: list[RowError]


class Event(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int
    name: str
    occurred_at: datetime
    properties: dict[str, Any]
    source: str | None
    idempotency_key: str | None
    received_at: datetime


class EventPage(BaseModel):
    items: list[Event]
    next_cursor: str | None
