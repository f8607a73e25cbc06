"""Attribution in a real browser: upload a paths CSV, read every model's results, switch the own-data view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Tenant
from tests.web.conftest import PASSWORD, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser
CSV = "path,total_conversions,total_conversion_value,total_null\nsearch > email,1,30,0\nsearch,0,0,1\nemail > display,1,10,0\n"


def test_upload_paths_and_read_the_results(live_server: str, tenant: Tenant, tmp_path: Path) -> None:  # noqa: F811
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    csv_file = tmp_path / "paths.csv"
    csv_file.write_text(CSV)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/attribution")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/attribution")
        expect(page.locator("#attribution-totals")).to_contain_text("0 conversions")

        page.get_by_label("Per").select_option("campaign")  # HTMX swaps the table and keeps the address
        expect(page).to_have_url(re.compile(r"/attribution\?since=[0-9-]+&until=[0-9-]+&by=campaign$"))
        expect(page.locator("#attribution-totals")).to_contain_text("0 conversions")

        page.get_by_label("Name").fill("Analytics export")
        page.get_by_label("CSV file").set_input_files(str(csv_file))
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_role("heading", name="Analytics export")).to_be_visible()
        results = page.locator("#import-results")
        # The worked example of docs/attribution.md with search, email, display for c1, c2, c3.
        email = results.locator("tr", has=page.get_by_role("rowheader", name="email"))
        expect(email.locator('[data-model="markov"]')).to_contain_text("1.00")
        expect(email.locator('[data-model="markov"]')).to_contain_text("50.0%")
        search = results.locator("tr", has=page.get_by_role("rowheader", name="search"))
        expect(search.locator('[data-model="first_touch"]')).to_contain_text("1.00")
        expect(search.locator('[data-model="markov"]')).to_contain_text("0.50")
        page.screenshot(path=str(tmp_path / "attribution-import.png"), full_page=True)

        page.get_by_role("link", name="Attribution").first.click()
        expect(page.locator("#path-imports")).to_contain_text("Analytics export")
        browser.close()
