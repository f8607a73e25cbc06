"""The workspace's brand kit: name, logo, colours, font and email footers (the `brand` template variable).

A workspace without a kit row gets Kempen's neutral defaults (the model's column defaults), so templates
can always use `brand.colours.primary` and friends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kempen.campaigns.settings import get_send_settings
from kempen.models import BrandKit, Workspace
from kempen.tracking.links import tracking_prefix

COLOUR_FIELDS = ("primary", "secondary", "accent", "text", "background")
# The logo types Kempen serves, and the file extension its public address ends with.
LOGO_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


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
    kit = get_brand_kit(session, workspace_id=workspace_id) or default_kit(workspace_id)
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
