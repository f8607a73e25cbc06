"""The workspace's brand kit: name, logo, colours, font and email footers (the `brand` template variable).

A workspace without a kit row gets Kempen's neutral defaults (the model's column defaults), so templates
can always use `brand.colours.primary` and friends.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from typing import Any

from PIL import Image
from sqlalchemy.orm import Session, defer

from kempen.audit import service as audit
from kempen.brand.kit_schemas import BrandKit as BrandKitOut
from kempen.brand.kit_schemas import BrandKitUpdate, Colours, Logo
from kempen.campaigns.content import invalid_templates
from kempen.campaigns.settings import get_send_settings
from kempen.kit.errors import InvalidInput
from kempen.models import BrandKit, Workspace
from kempen.templates.sandbox import TemplateProblem, check_template
from kempen.tracking.links import tracking_prefix

COLOUR_FIELDS = ("primary", "secondary", "accent", "text", "background")
# The logo types Kempen serves, and the file extension its public address ends with.
LOGO_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
MAX_LOGO_BYTES = 1024 * 1024
_PILLOW_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# A font list is written into style attributes: these would end the declaration or the attribute.
_FONT_FORBIDDEN = frozenset(';{}<>"\r\n\0\\')
# The HTML footer must put the unsubscribe URL in a link, the text footer must at least show it.
_LINKS_UNSUBSCRIBE = re.compile(r"""href\s*=\s*["']?\s*\{\{-?\s*unsubscribe_url\b""")
_USES_UNSUBSCRIBE = re.compile(r"\{\{-?\s*unsubscribe_url\b")


def get_brand_kit(session: Session, *, workspace_id: int) -> BrandKit | None:
    """Return the workspace's brand kit row, or None when it has never been saved."""
    return session.get(BrandKit, workspace_id)


def default_kit(workspace_id: int) -> BrandKit:
    """An unsaved kit holding the column defaults (what a workspace without a kit looks like)."""
    kit = BrandKit(workspace_id=workspace_id)
    for column in BrandKit.__table__.columns:
        if getattr(kit, column.key) is None and column.default is not None and column.default.is_scalar:
            setattr(kit, column.key, column.default.arg)
    return kit


def logo_path(workspace_id: int, sha256: str, content_type: str) -> str:
    """The public path of a logo version (it names the hash, so it may be cached forever)."""
    return f"/brand/{workspace_id}/logo/{sha256}.{LOGO_EXTENSIONS[content_type]}"


def logo_url(kit: BrandKit) -> str:
    """The absolute public URL of the kit's logo, or "" without one."""
    if not kit.logo_sha256 or not kit.logo_content_type:
        return ""
    return tracking_prefix() + logo_path(kit.workspace_id, kit.logo_sha256, kit.logo_content_type)


def brand_variables(session: Session, *, workspace_id: int) -> dict[str, Any]:
    """The `brand` template variable: name, logo, colours (also as `colors`), font and postal address."""
    # Sends and previews read this often: leave the logo's bytes (up to 1 MB) in the database.
    kit = session.get(BrandKit, workspace_id, options=[defer(BrandKit.logo)]) or default_kit(workspace_id)
    workspace = session.get(Workspace, workspace_id)
    colours = {key: getattr(kit, f"{key}_colour") for key in COLOUR_FIELDS}
    return {
        "name": kit.name or (workspace.name if workspace else ""),
        "logo_url": logo_url(kit),
        "logo_width": kit.logo_width,
        "logo_height": kit.logo_height,
        "colours": colours,
        "colors": dict(colours),
        "font_family": kit.font_family,
        "postal_address": get_send_settings(session, workspace_id=workspace_id).postal_address,
    }


def brand_footer(session: Session, *, workspace_id: int) -> tuple[str, str]:
    """The footer Jinja sources (html, text); "" where the kit sets none."""
    kit = get_brand_kit(session, workspace_id=workspace_id)
    if kit is None:
        return "", ""
    return kit.footer_html, kit.footer_text


# Changing the kit

def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])


def checked_colour(value: str, field: str) -> str:
    """A colour as #rrggbb (lower case), or InvalidInput."""
    if not _COLOUR.fullmatch(value.strip()):
        raise _bad(field, f"give a colour as #rrggbb (six hexadecimal digits), not {value!r}.")
    return value.strip().lower()


def checked_font_family(value: str) -> str:
    """A CSS font-family list; characters that could end the CSS declaration are refused."""
    value = value.strip()
    if not value:
        raise _bad("font_family", "give at least one font, e.g. \"Arial, Helvetica, sans-serif\".")
    if len(value) > 200 or any(ch in _FONT_FORBIDDEN for ch in value):
        raise _bad("font_family", "at most 200 characters, without ; { } < > \" \\ or line breaks.")
    return value


def checked_name(value: str) -> str:
    """The brand's display name: one line, at most 200 characters ("" = the workspace's name)."""
    value = value.strip()
    if len(value) > 200 or any(ch in value for ch in "\r\n\0"):
        raise _bad("name", "one line of at most 200 characters.")
    return value


def checked_footer(source: str, field: str) -> str:
    """A footer that compiles in the sandbox and keeps the unsubscribe link ("" is allowed: the neutral footer)."""
    if not source.strip():
        return ""
    try:
        check_template(source, field=field, html=field == "footer_html")
    except TemplateProblem as problem:
        raise invalid_templates([problem]) from None
    keeps_link = _LINKS_UNSUBSCRIBE.search(source) if field == "footer_html" else _USES_UNSUBSCRIBE.search(source)
    if not keeps_link:
        what = ('link it, e.g. <a href="{{ unsubscribe_url }}">Unsubscribe</a>' if field == "footer_html"
                else "show {{ unsubscribe_url }}")
        raise _bad(field, f"the footer replaces Kempen's unsubscribe footer, so it must {what}.")
    return source


def _changes(data: BrandKitUpdate) -> dict[str, Any]:
    given = {key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None}
    changes: dict[str, Any] = {}
    for key, value in given.items():
        if key.endswith("_colour"):
            changes[key] = checked_colour(value, key)
        elif key == "font_family":
            changes[key] = checked_font_family(value)
        elif key == "name":
            changes[key] = checked_name(value)
        else:
            changes[key] = checked_footer(value, key)
    return changes


def saved_kit(session: Session, *, workspace_id: int) -> BrandKit:
    """The workspace's kit row, created with the defaults on first change."""
    kit = get_brand_kit(session, workspace_id=workspace_id)
    if kit is None:
        kit = default_kit(workspace_id)
        session.add(kit)
    return kit


def update_brand_kit(session: Session, *, workspace_id: int, actor: str, data: BrandKitUpdate) -> BrandKit:
    """Change the given fields of the kit (all are checked before any is saved)."""
    changes = _changes(data)
    kit = saved_kit(session, workspace_id=workspace_id)
    changes = {key: value for key, value in changes.items() if getattr(kit, key) != value}
    for key, value in changes.items():
        setattr(kit, key, value)
    if changes:
        kit.updated_by = actor
    session.flush()
    if changes:
        audit.record(session, workspace_id=workspace_id, actor=actor, action="brand.updated", entity_type="brand_kit",
                     entity_id=workspace_id, details={"fields": sorted(changes)})
    return kit


def kit_out(session: Session, *, workspace_id: int) -> BrandKitOut:
    """The kit as the API shows it (the defaults when never saved)."""
    kit = get_brand_kit(session, workspace_id=workspace_id) or default_kit(workspace_id)
    variables = brand_variables(session, workspace_id=workspace_id)
    logo = None
    if kit.logo_sha256 and kit.logo_content_type and kit.logo is not None:
        logo = Logo(url=variables["logo_url"], content_type=kit.logo_content_type, size=len(kit.logo),
                    width=kit.logo_width or 0, height=kit.logo_height or 0, sha256=kit.logo_sha256)
    return BrandKitOut(name=kit.name, display_name=variables["name"], colours=Colours(**variables["colours"]),
                       font_family=kit.font_family, footer_html=kit.footer_html, footer_text=kit.footer_text,
                       logo=logo, updated_by=kit.updated_by, updated_at=kit.updated_at)


# The logo

def sniffed_image_type(data: bytes) -> str | None:
    """The content type the leading bytes announce (PNG, JPEG, GIF, WebP), else None; names are never trusted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image_size(data: bytes, content_type: str) -> tuple[int, int]:
    """Width and height as Pillow reads them; InvalidInput when it cannot, or the bytes are another format."""
    try:
        with warnings.catch_warnings():
            # A huge pixel count in a small file is a decompression bomb: refuse it, never decode it.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
                image.verify()
                format_type = image.get_format_mimetype()
                width, height = image.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _bad("logo", "the file is not a readable image.") from None
    if format_type != content_type or width < 1 or height < 1:
        raise _bad("logo", "the file is not a readable image.")
    return width, height


def set_logo(session: Session, *, workspace_id: int, actor: str, data: bytes) -> BrandKit:
    """Store a new logo (PNG, JPEG, GIF or WebP, at most 1 MB) after checking Pillow can read it."""
    if not data:
        raise _bad("logo", "the file is empty.")
    if len(data) > MAX_LOGO_BYTES:
        raise _bad("logo", f"the file is larger than {MAX_LOGO_BYTES // (1024 * 1024)} MB.")
    content_type = sniffed_image_type(data)
    if content_type is None:
        raise _bad("logo", "upload a PNG, JPEG, GIF or WebP image (SVG and other formats are refused).")
    width, height = _image_size(data, content_type)
    kit = saved_kit(session, workspace_id=workspace_id)
    kit.logo, kit.logo_content_type, kit.logo_sha256 = data, content_type, hashlib.sha256(data).hexdigest()
    kit.logo_width, kit.logo_height, kit.updated_by = width, height, actor
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="brand.logo_changed", entity_type="brand_kit",
                 entity_id=workspace_id, details={"sha256": kit.logo_sha256, "content_type": content_type,
                                                  "size": len(data), "width": width, "height": height})
    return kit


def remove_logo(session: Session, *, workspace_id: int, actor: str) -> None:
    """Remove the logo (nothing happens, and nothing is audited, when there is none)."""
    kit = get_brand_kit(session, workspace_id=workspace_id)
    if kit is None or kit.logo_sha256 is None:
        return
    old = kit.logo_sha256
    kit.logo = kit.logo_content_type = kit.logo_sha256 = None
    kit.logo_width = kit.logo_height = None
    kit.updated_by = actor
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="brand.logo_changed", entity_type="brand_kit",
                 entity_id=workspace_id, details={"removed": old})


def public_logo(session: Session, *, workspace_id: int, sha256: str, extension: str) -> tuple[bytes, str] | None:
    """The logo's bytes and type when `sha256.extension` names the current logo, else None."""
    kit = get_brand_kit(session, workspace_id=workspace_id)
    if (kit is None or kit.logo is None or kit.logo_content_type is None or kit.logo_sha256 != sha256
            or LOGO_EXTENSIONS.get(kit.logo_content_type) != extension):
        return None
    return kit.logo, kit.logo_content_type
