"""The automatic winner in a browser: turn it on in the campaign's settings, launch, read when it decides,
then pick the winner early and read the decision on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.campaigns import schemas
from kempen.campaigns import service as campaigns
from kempen.models import Campaign
from tests.conftest import Tenant
from tests.web.conftest import PASSWORD, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401
from tests.web.test_campaign_pages import add_audience, add_email, make_world

pytestmark = pytest.mark.browser


def _draft(session: Session, workspace_id: int) -> Campaign:
    world = make_world(session, workspace_id)
    add_audience(session, workspace_id, 30)
    campaign = campaigns.create_campaign(session, workspace_id=workspace_id, actor="test",
                                        data=schemas.CampaignCreate(name="Spring test", segment_id=world.segment_id))
    add_email(session, workspace_id, campaign.id, variants=2)
    session.commit()
    return campaign


def test_turn_on_launch_and_pick_the_winner(live_server: str, tenant: Tenant, session: Session,  # noqa: F811
                                            tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    campaign = _draft(session, tenant.id)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{live_server}/login?next=/campaigns/{campaign.id}")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/campaigns/{campaign.id}")

        page.get_by_label("Decide on").select_option("click_rate")
        page.get_by_label("Test share").fill("30")
        page.get_by_label("Wait before deciding").fill("2")
        page.get_by_label("If no variant is significantly better").select_option("none")
        page.get_by_role("button", name="Save automatic winner").click()
        expect(page.locator("#notice")).to_have_text("Automatic winner saved.")
        expect(page.get_by_label("Test share")).to_have_value("30")
        page.screenshot(path=str(tmp_path / "winner-settings.png"), full_page=True)

        page.locator("#action-launch summary").click()
        page.locator("#confirm-launch").click()
        expect(page.locator("#winner-summary")).to_contain_text("Testing on 30 % — winner picked on click rate at ")
        expect(page.locator("#winner-settings-summary")).to_contain_text("Test on 30 % for 2 h")
        page.screenshot(path=str(tmp_path / "winner-testing.png"), full_page=True)

        page.locator("#action-winner summary").click()
        page.get_by_label("Send to the rest of the audience").select_option(label="Variant B")
        page.locator("#confirm-winner").click()
        expect(page.locator("#notice")).to_have_text("Winner picked: it goes to the rest of the audience.")
        expect(page.locator("#winner-decision")).to_contain_text("Winner: B, picked by hand, ")
        expect(page.locator("#winner-decision")).to_contain_text("sent to the remaining 21.")
        expect(page.locator("#action-winner")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "winner-decided.png"), full_page=True)
        browser.close()
