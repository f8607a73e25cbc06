"""What the content blocks API and CLI take and give."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kempen.models import CampaignStatus

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_SOURCE = 256 * 1024


class ContentBlockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN, description='How templates name it: {% content "key" %}')
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    html: str = Field(default="", max_length=MAX_SOURCE)
    text: str = Field(default="", max_length=MAX_SOURCE)


class ContentBlockUpdate(BaseModel):
    """Only the fields given change; the key never does (templates name the block by it)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    html: str | None = Field(default=None, max_length=MAX_SOURCE)
    text: str | None = Field(default=None, max_length=MAX_SOURCE)


class BlockUse(BaseModel):
    """A campaign whose variants use a block (directly or through another block)."""

    campaign_id: int
    name: str
    status: CampaignStatus


class ContentBlockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    description: str
    html: str
    text: str
    version: int
    updated_by: str
    created_at: datetime
    updated_at: datetime
    used_by: list[BlockUse] = []


class BlockPreview(BaseModel):
    """A block rendered with the sample contact: its HTML and its text version."""

    key: str
    html: str
    text: str
