"""Brand consistency (issue 7): the workspace's brand kit, its sender identities and reusable content blocks.

The brand kit is one row per workspace: logo, colours, font and the email footer every message may use
(templates read it as the `brand` variable). Sender identities are the named From/Reply-To pairs a
message picks from. A content block is a named piece of HTML (and its plain-text version) that
templates pull in with `{% content "key" %}`; it is expanded into the template before compiling, so
CSS inlining, link tracking and the text part treat it as if it had been written in place.

A campaign freezes the brand and the blocks it uses when it is launched (`campaigns.brand_snapshot`),
so an edit during a send never gives half the audience another footer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import Base, BigIntId, created_at_column, updated_at_column, workspace_fk

__all__ = ["BrandKit", "ContentBlock", "SenderIdentity"]


class BrandKit(Base):
    """The workspace's look: one row per workspace, created on first save (absent: Kempen's neutral defaults)."""

    __tablename__ = "brand_kits"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    # The name shown in emails ("Acme Tea"); empty: the workspace's name.
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # The logo as uploaded (PNG, JPEG, GIF or WebP; never SVG, which can carry script), served publicly
    # at an address that names its content hash, so mail clients may cache it forever.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_content_type: Mapped[str | None] = mapped_column(String(40))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_width: Mapped[int | None] = mapped_column(Integer)
    logo_height: Mapped[int | None] = mapped_column(Integer)
    # Colours as #rrggbb.
    primary_colour: Mapped[str] = mapped_column(String(7), nullable=False, default="#1f4e79")
    secondary_colour: Mapped[str] = mapped_column(String(7), nullable=False, default="#e8eef5")
    accent_colour: Mapped[str] = mapped_column(String(7), nullable=False, default="#d97706")
    text_colour: Mapped[str] = mapped_column(String(7), nullable=False, default="#1f2937")
    background_colour: Mapped[str] = mapped_column(String(7), nullable=False, default="#ffffff")
    # A CSS font-family list, e.g. "Georgia, 'Times New Roman', serif".
    font_family: Mapped[str] = mapped_column(String(200), nullable=False, default="Arial, Helvetica, sans-serif")
    # The email footer, Jinja (sandboxed like any template). It must link {{ unsubscribe_url }}: it replaces
    # the neutral footer Kempen adds to emails whose HTML has no unsubscribe link. Empty: the neutral one.
    footer_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The same for plain-text parts written by hand; empty: "Unsubscribe: <link>" and the postal address.
    footer_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    updated_at: Mapped[datetime] = updated_at_column()


class SenderIdentity(Base):
    """A named sender a message can pick: From name, From address and Reply-To."""

    __tablename__ = "sender_identities"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    # What the team calls it ("Newsletter", "Support").
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    from_name: Mapped[str] = mapped_column(String(200), nullable=False)
    from_email: Mapped[str] = mapped_column(String(320), nullable=False)
    reply_to: Mapped[str | None] = mapped_column(String(320))
    # At most one per workspace (kept so by the service): used by messages that name no identity.
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "label"),)


class ContentBlock(Base):
    """A reusable piece of message content, pulled into templates with `{% content "key" %}`."""

    __tablename__ = "content_blocks"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    # How templates name it: lower-case letters, digits, "-" and "_" ("footer", "spring-banner").
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Jinja, sandboxed: the HTML used in an email's HTML part, the text used in text parts and SMS.
    html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Counts edits, so a launch snapshot can say which version it froze.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "key"), Index(None, "workspace_id", "name"))
