"""A campaign using a content block and the brand footer, sent end to end to a real SMTP server.

The block's links are tracked like any link, the brand footer replaces the neutral one, and an edit
of the block after launch does not reach the send: every batch uses the copy frozen at launch.
"""

from __future__ import annotations

import re
from collections import Counter
from email.message import Message

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from kempen.brand import block_schemas as schemas
from kempen.brand import blocks
from kempen.brand.resolve import BrandContent
from kempen.db import get_session_factory
from kempen.delivery.control import launch_campaign
from kempen.delivery.inprocess import start_inprocess_worker
from kempen.models import BrandKit, Campaign, CampaignStatus, DeliveryStatus, WorkspaceTrackingSettings
from kempen.tracking.links import read_click_token
from kempen.tracking.settings import get_tracking_settings
from tests.delivery.conftest import ACTOR, Sink, add_contacts, make_campaign, new_workspace, statuses
from tests.delivery.test_inprocess import small_batches, wait_for_status  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("parked")
HTML = '<html><body><h1>Hi {{ first_name }}</h1>\n{% content "spring" %}\n</body></html>'
FOOTER = '<p class="brand-footer">{{ brand.name }} · <a href="{{ unsubscribe_url }}">Leave us</a></p>'


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no HTML part")


def test_block_and_brand_footer_are_sent_as_frozen_at_launch(session: Session, smtp_sink: Sink,
                                                            small_batches: None) -> None:  # noqa: F811
    ws = new_workspace(session)
    get_tracking_settings(session, workspace_id=ws)
    session.execute(update(WorkspaceTrackingSettings).where(WorkspaceTrackingSettings.workspace_id == ws)
                    .values(track_opens=False, track_clicks=True))
    session.add(BrandKit(workspace_id=ws, name="Acme Tea", footer_html=FOOTER, footer_text="Leave: {{ unsubscribe_url }}"))
    blocks.create_block(session, workspace_id=ws, actor=ACTOR, data=schemas.ContentBlockCreate(
        key="spring", name="Spring", html='<p>Spring tea: <a href="https://shop.example/spring">shop</a></p>',
        text="Spring tea"))
    session.commit()
    add_contacts(session, ws, 90)
    built = make_campaign(session, ws, html=HTML)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    frozen = session.get(Campaign, built.campaign_id)
    assert frozen is not None and frozen.brand_snapshot is not None
    assert BrandContent.from_snapshot(frozen.brand_snapshot).blocks["spring"].version == 1
    # Edited after launch, before any batch is sent: the send keeps the launched version.
    blocks.update_block(session, workspace_id=ws, actor=ACTOR, key="spring",
                        data=schemas.ContentBlockUpdate(html="<p>Autumn tea</p>"))
    session.commit()
    stop = start_inprocess_worker(threads=2, factory=get_session_factory(), tick_seconds=0.1)
    try:
        wait_for_status(session, built.campaign_id, CampaignStatus.COMPLETED, timeout=60)
    finally:
        stop()
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 90})
    bodies = [html_of(m) for m in smtp_sink.messages]
    assert len(bodies) == 90 and not any("Autumn" in body for body in bodies)
    body = bodies[0]
    assert "Spring tea:" in body and "https://shop.example/spring" not in body  # tracked: a redirect
    [token] = re.findall(r'href="[^"]*/c/([^"]+)"', body)
    assert read_click_token(token).link_index == 0
    assert "Acme Tea · " in body and "Leave us</a>" in body
    assert "Unsubscribe</a>" not in body  # the brand footer replaced the neutral one
