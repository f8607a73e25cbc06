"""Request and response shapes of the brand kit and sender identity API.

Values are checked by the services (kit.py, senders.py), not here, so the API, the web forms and the
CLI give the same messages; the limits here only bound what is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from kempen.kit.ids import RowId

Colour = Annotated[str, Field(max_length=32, description="#rrggbb", examples=["#1f4e79"])]
Footer = Annotated[str, Field(max_length=100_000, description="Jinja (sandboxed); must link {{ unsubscribe_url }}")]
Address = Annotated[str, Field(max_length=320)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Colours(BaseModel):
    primary: str
    secondary: str
    accent: str
    text: str
    background: str


class Logo(BaseModel):
    url: str = Field(description="Public, absolute; names the content hash, so it may be cached forever")
    content_type: str
    size: int = Field(description="Bytes")
    width: int
    height: int
    sha256: str


class BrandKit(BaseModel):
    """The workspace's brand kit (Kempen's neutral defaults until first saved)."""

    name: str = Field(description="As set; empty means the workspace's name is used")
    display_name: str = Field(description="The name templates see as brand.name")
    colours: Colours
    font_family: str
    footer_html: str
    footer_text: str
    logo: Logo | None
    updated_by: str
    updated_at: datetime | None


class BrandKitUpdate(_In):
    """Change the fields given; fields left out keep their value. An empty footer means Kempen's neutral one."""

    name: Annotated[str, Field(max_length=1000)] | None = None
    primary_colour: Colour | None = None
    secondary_colour: Colour | None = None
    accent_colour: Colour | None = None
    text_colour: Colour | None = None
    background_colour: Colour | None = None
    font_family: Annotated[str, Field(max_length=1000, examples=["Georgia, 'Times New Roman', serif"])] | None = None
    footer_html: Footer | None = None
    footer_text: Footer | None = None


class SenderIdentityCreate(_In):
    label: Annotated[str, Field(max_length=1000, description="Unique in the workspace, e.g. 'Newsletter'")]
    from_name: Annotated[str, Field(max_length=1000)]
    from_email: Address
    reply_to: Address | None = None
    is_default: bool = False


class SenderIdentityUpdate(_In):
    """Change the fields given; reply_to null or "" removes it; is_default true makes this the only default."""

    label: Annotated[str, Field(max_length=1000)] | None = None
    from_name: Annotated[str, Field(max_length=1000)] | None = None
    from_email: Address | None = None
    reply_to: Address | None = None
    is_default: bool | None = None


class SenderIdentity(_Out):
    id: RowId
    label: str
    from_name: str
    from_email: str
    reply_to: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime


class SenderIdentityPage(BaseModel):
    items: list[SenderIdentity]
