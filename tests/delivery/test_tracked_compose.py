"""Composing tracked emails: pixel, redirects and preference link per email, per the workspace's settings."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from kempen.delivery.compose import AdapterCache, compose_email, load_plan
from kempen.delivery.rules import Recipient
from kempen.models import WorkspaceTrackingSettings
from kempen.tracking.links import read_click_token, read_open_token
from kempen.tracking.settings import get_tracking_settings
from tests.delivery.conftest import add_contacts, make_campaign, new_workspace

HTML = ('<html><body><p>Hi {{ first_name }}</p><a href="https://shop.example/new">New</a> '
        '<a href="https://shop.example/u/{{ id }}">Yours</a> <a href="{{ preferences_url }}">Preferences</a>'
        '</body></html>')


@pytest.fixture
def cache() -> Iterator[AdapterCache]:
    adapters = AdapterCache()
    yield adapters
    adapters.close()


def compose(session: Session, cache: AdapterCache, *, opens: bool = True, clicks: bool = True) -> list[str]:
    ws = new_workspace(session)
    get_tracking_settings(session, workspace_id=ws)
    session.execute(update(WorkspaceTrackingSettings).where(WorkspaceTrackingSettings.workspace_id == ws)
                    .values(track_opens=opens, track_clicks=clicks))
    session.commit()
    contacts = add_contacts(session, ws, 2)
    built = make_campaign(session, ws, html=HTML)
    plan = load_plan(session, workspace_id=ws, campaign_id=built.campaign_id, message_id=built.message_id)
    recipients = [Recipient(delivery_id=900 + i, contact_id=cid, variant_id=built.variant_ids[0], attempts=0,
                            address=f"a{i}@example.com") for i, cid in enumerate(contacts)]
    composed = compose_email(session, plan, recipients, cache)
    assert not composed.render_errors
    return [str(o.payload.html) for o in composed.outgoing]


def test_each_email_gets_its_own_pixel_and_redirects(session: Session, cache: AdapterCache) -> None:
    first, second = compose(session, cache)
    for number, html in enumerate((first, second)):
        opens = re.findall(r'src="[^"]*/o/([^"]+)"', html)
        assert len(opens) == 1 and read_open_token(opens[0]).delivery_id == 900 + number
        tokens = [read_click_token(t) for t in re.findall(r'href="[^"]*/c/([^"]+)"', html)]
        assert [(t.delivery.delivery_id, t.link_index) for t in tokens] == [(900 + number, 0), (900 + number, 1)]
        assert tokens[0].url is None and tokens[1].url is not None and tokens[1].url.startswith("https://shop.example/u/")
        # The preference link is the unsubscribe token under /p/, never a redirect.
        assert len(re.findall(r'href="[^"]*/p/[^"]+"', html)) == 1
    assert first != second


def test_tracking_turned_off_leaves_the_email_alone(session: Session, cache: AdapterCache) -> None:
    [html, _] = compose(session, cache, opens=False, clicks=False)
    assert "/o/" not in html and "/c/" not in html and 'href="https://shop.example/new"' in html
    [opens_only, _] = compose(session, cache, opens=True, clicks=False)
    assert "/o/" in opens_only and "/c/" not in opens_only
