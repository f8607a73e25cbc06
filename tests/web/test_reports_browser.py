"""In Chromium: the campaign performance page with its figures, and sorting the channel comparison by a column."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit
from tests.conftest import Tenant
from tests.reporting.conftest import Built, built, credits  # noqa: F401  (fixtures)
from tests.web.conftest import PASSWORD, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_performance_page_and_sorting_the_comparison(live_server: str, tenant: Tenant,  # noqa: F811
                                                     built: Built, credits: list[AttributedCredit],  # noqa: F811
                                                     session: Session, tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{live_server}/login?next=/campaigns/{built.campaign_id}")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server}/campaigns/{built.campaign_id}/performance")
        expect(page.locator("#kpi-delivered")).to_have_text("7")
        expect(page.locator("#kpi-opens")).to_have_text("4")
        expect(page.locator("#kpi-revenue")).to_have_text("EUR 150.00")
        email = page.locator('#channel-table tr[data-key="email"]')
        expect(email.locator('[data-field="open_rate"]')).to_have_text("60.0 %")
        expect(page.locator('#channel-table tr[data-key="sms"] [data-field="roi"]')).to_have_text("—")
        expect(page.locator("#series-chart[data-drawn]")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "performance.png"), full_page=True)

        page.goto(f"{live_server}/reports?since=2026-02-01&until=2026-03-31")
        rows = page.locator("#channel-table tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.first).to_have_attribute("data-key", "email")  # by name, A to Z
        page.locator('#channel-table a[data-field="cost"]').click()
        expect(page.locator("#channel-table th[aria-sort]")).to_contain_text("Cost")
        expect(rows.first).to_have_attribute("data-key", "paid_search")  # highest cost first
        page.locator('#channel-table a[data-field="cost"]').click()
        expect(rows.first).to_have_attribute("data-key", "sms")  # and reversed
        page.get_by_label("Channel", exact=True).select_option("sms")
        page.get_by_role("button", name="Apply").click()
        expect(rows).to_have_count(1)
        page.screenshot(path=str(tmp_path / "reports.png"), full_page=True)
        browser.close()
    assert (tmp_path / "performance.png").stat().st_size > 10_000
