"""The calendar in a real browser: open the month view, switch to week, filter by channel (HTMX swaps)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.kit.clock import utcnow
from kempen.models import CampaignStatus, Channel
from tests.conftest import Tenant
from tests.planning.test_calendar import make_campaign
from tests.web.conftest import PASSWORD, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_month_to_week_and_filter_by_channel(live_server: str, tenant: Tenant, session: Session,  # noqa: F811
                                             tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    today = utcnow().replace(hour=10, minute=0, second=0, microsecond=0)
    email = make_campaign(session, tenant.id, (Channel.EMAIL,), status=CampaignStatus.SCHEDULED,
                          scheduled_at=today + timedelta(minutes=30))
    sms = make_campaign(session, tenant.id, (Channel.SMS,), status=CampaignStatus.RUNNING, launched_at=today)
    session.commit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/calendar")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/calendar")
        expect(page.locator("#calendar")).to_have_attribute("data-view", "month")
        expect(page.locator("#calendar-title")).to_have_text(today.strftime("%B %Y"))
        today_cell = page.locator(f'td[data-day="{today.date().isoformat()}"]')
        expect(today_cell.locator(".cal-event")).to_have_count(2)
        page.screenshot(path=str(tmp_path / "month.png"), full_page=True)

        page.locator("#cal-view-week").click()
        expect(page.locator("#calendar")).to_have_attribute("data-view", "week")
        expect(page).to_have_url(f"{live_server}/calendar?view=week&date={today.date().isoformat()}")
        expect(page.locator("#calendar-grid tbody td")).to_have_count(7)
        expect(today_cell.locator(".cal-event")).to_have_count(2)

        page.get_by_label("Channel").select_option("sms")
        expect(page.locator("#event-count")).to_have_text("1 event")
        expect(page).to_have_url(f"{live_server}/calendar?view=week&date={today.date().isoformat()}&channel=sms")
        expect(page.locator(f'[data-campaign="{sms.id}"]')).to_have_count(1)
        expect(page.locator(f'[data-campaign="{email.id}"]')).to_have_count(0)
        expect(page.locator("#calendar")).to_have_attribute("data-view", "week")

        page.locator("#cal-next").click()
        expect(page.locator("#event-count")).to_have_text("0 events")
        page.locator("#cal-today").click()
        expect(page.locator("#event-count")).to_have_text("1 event")
        page.screenshot(path=str(tmp_path / "week.png"), full_page=True)
        page.locator(f'[data-campaign="{sms.id}"]').click()
        expect(page).to_have_url(f"{live_server}/campaigns/{sms.id}")
        browser.close()
