"""The demo shop's brand: a brand kit (colours, font, a footer) and a content block the demo email uses.

Created before the demo campaign, which names the block (`{% content "spring-delivery" %}`) and is
launched with the brand as it is then. Idempotent: a kit or block already there is left as it is.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.brand import blocks, kit
from kempen.brand.block_schemas import ContentBlockCreate
from kempen.brand.kit_schemas import BrandKitUpdate
from kempen.kit.errors import NotFound

ACTOR = "kempen init"
BLOCK_KEY = "spring-delivery"
_FOOTER_HTML = (
    '<p style="font-family: Arial, Helvetica, sans-serif; font-size: 12px; line-height: 18px; color: #6b7280; '
    'text-align: center; margin: 16px 0;">Kempen Demo Shop · Jalan Contoh 12 · 50450 Kuala Lumpur, Malaysia<br>'
    'You get this because you shop with us. '
    '<a href="{{ unsubscribe_url }}" style="color: #4f46e5;">Unsubscribe</a></p>')
_FOOTER_TEXT = ("Kempen Demo Shop · Jalan Contoh 12 · 50450 Kuala Lumpur, Malaysia\n"
                "Unsubscribe: {{ unsubscribe_url }}")
_BLOCK_HTML = ('<p class="delivery" style="font-size: 13px; color: #4338ca;">Free delivery on orders over RM 150 '
               'until the end of the month · returns within 30 days.</p>')
_BLOCK_TEXT = "Free delivery on orders over RM 150 until the end of the month; returns within 30 days."


def ensure_demo_brand(session: Session, *, workspace_id: int) -> None:
    """Give the workspace the demo brand kit and the block, unless it has them already."""
    if kit.get_brand_kit(session, workspace_id=workspace_id) is None:
        kit.update_brand_kit(session, workspace_id=workspace_id, actor=ACTOR, data=BrandKitUpdate(
            name="Kempen Demo Shop", primary_colour="#4f46e5", secondary_colour="#7c3aed",
            accent_colour="#f59e0b", text_colour="#27303f", background_colour="#f1f3f8",
            font_family="Arial, Helvetica, sans-serif", footer_html=_FOOTER_HTML, footer_text=_FOOTER_TEXT))
    try:
        blocks.get_block_or_raise(session, workspace_id=workspace_id, key=BLOCK_KEY)
    except NotFound:
        blocks.create_block(session, workspace_id=workspace_id, actor=ACTOR, data=ContentBlockCreate(
            key=BLOCK_KEY, name="Spring delivery promise", html=_BLOCK_HTML, text=_BLOCK_TEXT,
            description="The delivery and returns line of spring emails; change it once for all of them."))
