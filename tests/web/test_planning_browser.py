"""In a real browser: a marketer adds an objective to a sent campaign and sees its progress bar and pace."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.models import Role
from tests.conftest import Tenant, unique
from tests.planning.objective_helpers import convert
from tests.reporting.conftest import add_costs, build_campaign
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_marketer_adds_an_objective_and_sees_its_progress(
    live_server: str, tenant: Tenant, session: Session, tmp_path: Path,  # noqa: F811
) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    built = build_campaign(session, tenant.id, name="Spring")
    add_costs(session, built)
    convert(session, built, "c1", name="purchase", hours=4, value="80.00")  # after c1's click: attributed
    email = f"{unique('marketer-')}@example.com"
    marketer = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=marketer.id, role=Role.MARKETER)
    session.commit()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/campaigns/{built.campaign_id}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        card = page.locator("#objectives")
        expect(card.locator("#objectives-empty")).to_be_visible()  # loaded by HTMX, the form open
        card.get_by_label("Metric").select_option("conversions")
        card.get_by_label("Baseline").fill("0")
        card.get_by_label("Target").fill("40")
        card.get_by_label("Deadline").fill("2100-12-31")
        card.get_by_label("Why it matters").fill("Spring is our biggest season")
        card.get_by_role("button", name="Add objective").click()

        item = page.locator("#objective-list .objective")
        expect(item).to_have_count(1)
        bar = item.get_by_role("progressbar")
        expect(bar).to_have_attribute("aria-valuenow", "2")  # 1 conversion of 40: 2.5 % of the way
        assert (bar.locator("span").bounding_box() or {"width": 0})["width"] > 0
        expect(item).to_contain_text("1 now · from 0 to 40 by 31 Dec 2100")
        expect(item.locator(".objective-sentence")).to_contain_text("At this rate:")
        expect(item.locator(".objective-sentence")).to_contain_text("target 40 — ahead.")
        expect(item).to_contain_text("Why: Spring is our biggest season")
        page.screenshot(path=str(tmp_path / "objective.png"), full_page=True)

        page.get_by_role("link", name="Programmes").click()
        expect(page.get_by_role("heading", name="Programmes", level=1)).to_be_visible()
        page.get_by_label("Name").fill("Spring relaunch")
        page.get_by_label("Total budget").fill("100")
        page.get_by_role("button", name="Create programme").click()
        expect(page.get_by_role("heading", name="Spring relaunch", level=1)).to_be_visible()
        page.get_by_label("Add a campaign").select_option(label="Spring")
        page.get_by_role("button", name="Add to programme").click()
        expect(page.locator("#notice")).to_contain_text("The campaign is now in this programme.")
        expect(page.locator("#programme-campaigns")).to_contain_text("Spring")
        expect(page.locator("#rollup-sent")).to_have_text("9")
        expect(page.locator("#budget-summary")).to_contain_text("EUR 30.07 spent of EUR 100.00 (30 %)")
        page.screenshot(path=str(tmp_path / "programme.png"), full_page=True)
        browser.close()
