"""A campaign sent for real, watched in a browser: launch it, see the progress panel count up live to the
audience and completion, then read one of the emails in the inbox of the built-in mail sink."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.campaigns import messages, schemas
from kempen.campaigns import service as campaigns
from kempen.campaigns.settings import update_send_settings
from kempen.config import get_settings
from kempen.contacts.batch import upsert_contacts
from kempen.crm import consents
from kempen.delivery.inprocess import start_inprocess_worker
from kempen.mailsink.server import start_mail_sink
from kempen.models import Campaign, Channel, Delivery, SinkMessage
from kempen.segments import schemas as segment_schemas
from kempen.segments import service as segments
from tests.conftest import Tenant
from tests.web.conftest import PASSWORD, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser
AUDIENCE = 300
# Slow enough that the panel is seen between start and finish (about 5 s), fast enough for a short test.
RATE_PER_SECOND = 60
HTML = """<html><head><style>.cta { background: #4f46e5; color: #fff; padding: 12px 20px; border-radius: 6px; }</style></head>
<body><h1>Hi {{ first_name | default('there') }},</h1><p>Your picks:</p>
<ul>{% for item in last_order.items %}<li>{{ item.name }}</li>{% else %}<li>Something new</li>{% endfor %}</ul>
<p><a class="cta" href="https://shop.example.com/spring">Shop now</a></p></body></html>"""


@pytest.fixture
def sending(live_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # noqa: F811
    """The built-in sink on a free port, and an in-process worker sending to it at a fixed rate."""
    sink = start_mail_sink(host="127.0.0.1", port=0)
    monkeypatch.setenv("KEMPEN_SMTP_URL", f"smtp://127.0.0.1:{sink.port}?starttls=off")
    monkeypatch.setenv("KEMPEN_SMTP_RATE_PER_SECOND", str(RATE_PER_SECOND))
    monkeypatch.setenv("KEMPEN_SMTP_CONNECTIONS", "2")
    get_settings.cache_clear()
    stop_worker = start_inprocess_worker(threads=1, tick_seconds=0.2)
    yield sink
    stop_worker()
    sink.stop()
    get_settings.cache_clear()


def _arrange(session: Session, workspace_id: int) -> Campaign:
    records = [{"email": f"reader{n}@example.com", "first_name": f"Reader{n}", "country": "NL"}
               for n in range(AUDIENCE)]
    assert upsert_contacts(session, workspace_id=workspace_id, actor="test", records=records).rejected == 0
    consents.apply_consent_batch(session, workspace_id=workspace_id, actor="test", records=[
        {"contact_email": r["email"], "channel": "email", "status": "granted"} for r in records])
    segment = segments.create_segment(session, workspace_id=workspace_id, actor="test",
                                      data=segment_schemas.SegmentCreate(name="Readers", text='country = "NL"'))
    update_send_settings(session, workspace_id=workspace_id, actor="test", data=schemas.SendSettingsUpdate(
        from_name="Kempen Shop", from_email="news@shop.example.com", postal_address="Shop Street 1, Utrecht",
        quiet_hours_start="00:00", quiet_hours_end="00:00", frequency_cap_count=0))
    campaign = campaigns.create_campaign(session, workspace_id=workspace_id, actor="test", data=schemas.CampaignCreate(
        name="Spring readers", segment_id=segment.id, respect_quiet_hours=False))
    messages.add_message(session, workspace_id=workspace_id, actor="test", campaign_id=campaign.id,
                         data=schemas.MessageCreate(channel=Channel.EMAIL, variants=[
                             schemas.VariantCreate(subject="Spring picks for {{ first_name }}", html=HTML),
                             schemas.VariantCreate(subject="{{ first_name }}, new in for spring", html=HTML)]))
    session.commit()
    return campaign


def _deliveries_by_state(session: Session, campaign_id: int) -> list[tuple[Any, ...]]:
    """What the database says, for the failure message: (status, reason, attempts, detail) → count."""
    session.rollback()
    return [tuple(row) for row in session.execute(
        select(Delivery.status, Delivery.reason, Delivery.attempts, Delivery.detail, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(Delivery.status, Delivery.reason, Delivery.attempts, Delivery.detail))]


def test_launch_watch_progress_and_read_the_email(live_server: str, sending: Any,  # noqa: F811
                                                  tenant: Tenant, session: Session, tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    campaign = _arrange(session, tenant.id)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{live_server}/login?next=/campaigns/{campaign.id}")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#readiness")).to_contain_text("Ready to launch")
        page.locator("#action-launch summary").click()
        page.locator("#confirm-launch").click()
        expect(page.locator("#notice")).to_contain_text("Launched")

        panel = page.locator("#campaign-progress")
        seen: list[int] = []
        shot = tmp_path / "campaign-running.png"
        deadline = time.monotonic() + 60  # generous: a busy machine sends slowly; the loop ends at completion
        while time.monotonic() < deadline:
            sent = int(panel.get_attribute("data-sent") or 0)
            if not seen or sent != seen[-1]:
                seen.append(sent)
            if len(seen) >= 3 and not shot.exists():
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(shot), full_page=True)
            if panel.get_attribute("data-status") == "completed":
                break
            page.wait_for_timeout(150)
        # Sends were seen part-way (the panel updated between polls), then the whole audience, completed.
        shown = (seen, _deliveries_by_state(session, campaign.id))
        assert any(0 < n < AUDIENCE for n in seen), shown
        assert seen == sorted(seen) and seen[-1] == AUDIENCE, shown
        expect(panel).to_have_attribute("data-status", "completed")
        expect(page.locator("#campaign-status")).to_contain_text("Completed")
        expect(page.locator("#count-sent")).to_have_text(f"{AUDIENCE:,}")
        expect(page.locator("#variant-progress")).to_contain_text("150 / 150")
        assert panel.get_attribute("hx-trigger") is None  # polling stopped

        page.get_by_role("link", name="Inbox").click()
        rows = page.locator("#inbox-rows .row-link")
        expect(rows).to_have_count(50)
        rows.first.click()
        expect(page.locator("#message-subject")).to_contain_text("Reader")
        expect(page.locator("#key-headers")).to_contain_text("List-Unsubscribe=One-Click")
        email = page.frame_locator("#message-html")
        expect(email.locator("h1")).to_contain_text("Hi Reader")
        expect(email.get_by_role("link", name="Shop now")).to_be_visible()
        expect(page.locator("#message-text")).to_contain_text("Shop now")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(tmp_path / "inbox-message.png"), full_page=True)
        print(f"screenshots: {tmp_path}")
        browser.close()
    stored = session.scalar(select(func.count()).select_from(SinkMessage).where(SinkMessage.workspace_id == tenant.id))
    assert stored == AUDIENCE
