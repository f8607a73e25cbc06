"""A campaign's brand: previews with blocks and the `brand` variable, the launch snapshot of only the blocks used."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kempen.brand import block_schemas as schemas
from kempen.brand import blocks
from kempen.brand.resolve import campaign_brand_content, freeze_for_launch
from kempen.campaigns.preview import preview_variant
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput
from kempen.models import BrandKit, Campaign
from tests.delivery.conftest import make_campaign, new_workspace

HTML = ('<html><body><h1>{{ brand.name }}</h1>\n{% content "outer" %}\n'
        '<a href="{{ unsubscribe_url }}">unsubscribe</a></body></html>')


def block(session: Session, ws: int, key: str, html: str, text: str = "t") -> None:
    blocks.create_block(session, workspace_id=ws, actor="t",
                        data=schemas.ContentBlockCreate(key=key, name=key, html=html, text=text))


def test_preview_expands_blocks_with_the_brand(session: Session) -> None:
    ws = new_workspace(session)
    session.add(BrandKit(workspace_id=ws, name="Acme Tea"))
    block(session, ws, "inner", "<b>{{ first_name }}</b>")
    block(session, ws, "outer", '<p>Hi {% content "inner" %}</p>')
    built = make_campaign(session, ws, html=HTML, subject="News")
    shown = preview_variant(session, workspace_id=ws, campaign_id=built.campaign_id, message_id=built.message_id,
                            variant_id=built.variant_ids[0])
    assert shown.html is not None and "<h1>Acme Tea</h1>" in shown.html and "<p>Hi <b>Alex</b></p>" in shown.html
    assert shown.text is not None and "Hi Alex" in shown.text


def test_preview_of_an_unknown_block_is_a_422_with_its_line(session: Session) -> None:
    ws = new_workspace(session)
    built = make_campaign(session, ws, html=HTML)
    with pytest.raises(InvalidInput) as raised:
        preview_variant(session, workspace_id=ws, campaign_id=built.campaign_id, message_id=built.message_id,
                        variant_id=built.variant_ids[0])
    assert raised.value.detail == "html, line 2: unknown content block 'outer'"


def test_the_snapshot_holds_only_the_blocks_used_and_outlives_edits(session: Session) -> None:
    ws = new_workspace(session)
    block(session, ws, "inner", "<b>v1</b>")
    block(session, ws, "outer", '<p>{% content "inner" %}</p>')
    block(session, ws, "unused", "<p>no</p>")
    built = make_campaign(session, ws, html=HTML)
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None
    assert set(campaign_brand_content(session, campaign).blocks) == {"inner", "outer"}
    freeze_for_launch(session, campaign)
    campaign.launched_at = utcnow()
    blocks.update_block(session, workspace_id=ws, actor="t", key="inner",
                        data=schemas.ContentBlockUpdate(html="<b>v2</b>"))
    session.commit()
    frozen = campaign_brand_content(session, campaign)
    assert set(frozen.blocks) == {"inner", "outer"} and frozen.blocks["inner"].html == "<b>v1</b>"
    assert frozen.blocks["inner"].version == 1 and frozen.variables["name"]
    campaign.launched_at = None  # not launched: the current blocks
    assert campaign_brand_content(session, campaign).blocks["inner"].html == "<b>v2</b>"
