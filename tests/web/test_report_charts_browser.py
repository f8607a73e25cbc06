"""In Chromium: the campaign report draws its charts (two variants with intervals, treated vs holdout, over time)
with their captions, the dashboard draws its trend, and without JavaScript the numbers are still there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kempen.attribution.types import AttributedCredit
from tests.conftest import Tenant
from tests.reporting.conftest import Built, built, credits  # noqa: F401  (fixtures)
from tests.web.conftest import PASSWORD, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser

# Pixels a chart has drawn on its (transparent) canvas, and the distinct colours among them.
INK = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0; const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0) { drawn++; colours.add(data[i] + "," + data[i + 1] + "," + data[i + 2]); }
  }
  return {drawn, colours: colours.size, width: canvas.width, height: canvas.height};
}"""


def ink(page: Any, selector: str) -> dict[str, int]:
    canvas = page.locator(selector)
    canvas.wait_for(state="visible")
    page.wait_for_timeout(700)  # the entry animation (400 ms) has finished
    return canvas.evaluate(INK)  # type: ignore[no-any-return]


def log_in(page: Any, base: str, tenant: Tenant) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(owner_email(tenant))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/contacts**")


def test_campaign_report_and_dashboard_charts(live_server: str, tenant: Tenant, built: Built,  # noqa: F811
                                              credits: list[AttributedCredit], tmp_path: Path) -> None:  # noqa: F811
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    newsletter = built.messages["Newsletter"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        log_in(page, live_server, tenant)
        page.goto(f"{live_server}/campaigns/{built.campaign_id}/performance")

        variants = f"#experiment-{newsletter}-chart"
        expect(page.locator(variants)).to_have_attribute("data-drawn", "intervals")
        drawn = ink(page, variants)
        assert drawn["drawn"] > 2_000 and drawn["colours"] > 3, drawn
        expect(page.locator(f"#experiment-{newsletter}-caption")).not_to_be_empty()
        expect(page.locator(f"#experiment-{newsletter}-figure .chart-values li")).to_have_count(2)

        expect(page.locator("#incrementality-chart")).to_have_attribute("data-drawn", "intervals")
        assert ink(page, "#incrementality-chart")["drawn"] > 2_000
        expect(page.locator("#incrementality-caption")).to_contain_text("over the holdout")

        expect(page.locator("#series-chart")).to_have_attribute("data-drawn", "series")
        assert ink(page, "#series-chart")["drawn"] > 2_000
        expect(page.locator("#series-caption")).to_contain_text("Most opens came in the first")
        expect(page.locator("#budget-chart")).to_have_attribute("data-drawn", "bars")
        expect(page.locator("#budget-caption")).to_contain_text("Spent €")
        page.screenshot(path=str(tmp_path / "campaign-report.png"), full_page=True)

        page.goto(f"{live_server}/reports?since=2026-03-01&until=2026-03-30")
        expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "series")
        assert ink(page, "#trend-chart")["drawn"] > 2_000
        expect(page.locator("#trend-caption")).to_contain_text("over 30 days")
        expect(page.locator("#channels-chart")).to_have_attribute("data-drawn", "bars")
        page.locator("#since").fill("2026-03-02")  # editing a date picks "Custom dates"
        expect(page.locator("#period")).to_have_value("custom")
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        assert errors == []

        bare = browser.new_context(java_script_enabled=False, viewport={"width": 1300, "height": 900}).new_page()
        log_in(bare, live_server, tenant)
        bare.goto(f"{live_server}/campaigns/{built.campaign_id}/performance")
        expect(bare.locator("#series-chart")).to_be_hidden()  # no empty boxes where a chart would be
        expect(bare.locator("#series-caption")).to_be_visible()
        expect(bare.locator(f"#experiment-{newsletter}-figure .chart-values li").first).to_contain_text("%")
        expect(bare.locator(f"#experiment-{newsletter}-table")).to_be_visible()
        browser.close()
    assert (tmp_path / "campaign-report.png").stat().st_size > 20_000
