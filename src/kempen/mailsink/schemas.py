"""API shapes of the sink's inbox."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SinkMessageSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    mail_from: str
    recipients: list[str]
    subject: str
    message_id_header: str | None
    size: int


class SinkMessagePage(BaseModel):
    items: list[SinkMessageSummary]
    next_cursor: str | None


class Header(BaseModel):
    name: str
    value: str


class SinkMessageDetail(SinkMessageSummary):
    """A caught message, parsed: its headers in order, sender and recipients as written, both bodies."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    headers: list[Header]
    from_: str = Field(alias="from")
    to: str
    date: str
    text: str | None
    html: str | None


class ClearResult(BaseModel):
    deleted: int
