"""The A/B test size card on the campaign page: loaded by HTMX, prefilled from the campaign, answered by kempen.stats."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.models import Campaign, CampaignStatus, Role
from kempen.stats import sample_size_proportions
from kempen.stats.detectable import detectable_rate
from tests.conftest import Tenant
from tests.web.conftest import PASSWORD, LoggedIn, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401
from tests.web.test_campaign_pages import (
    HTMX,
    add_audience,
    as_role,
    force_status,
    make_world,
    ready_campaign,
)


def _text(page: str) -> str:
    """The page's text with tags and runs of white space taken out."""
    inline = re.sub(r"</?(strong|em|a|span)\b[^>]*>", "", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline))).strip()


def _campaign(session: Session, workspace_id: int, *, variants: int = 2, audience: int = 40,
              holdout: str = "10") -> Campaign:
    world = make_world(session, workspace_id)
    add_audience(session, workspace_id, audience)
    campaign = ready_campaign(session, workspace_id, world.segment_id, variants=variants)
    campaign.holdout_percent = Decimal(holdout)
    session.commit()
    return campaign


def test_the_page_loads_the_card_by_htmx(logged_in: LoggedIn, session: Session) -> None:
    campaign = _campaign(session, logged_in.tenant.id)
    page = logged_in.client.get(f"/campaigns/{campaign.id}").text
    assert f'hx-get="/campaigns/{campaign.id}/sample-size" hx-trigger="load"' in page


def test_the_card_is_prefilled_and_answers(logged_in: LoggedIn, session: Session) -> None:
    campaign = _campaign(session, logged_in.tenant.id)
    answer = logged_in.client.get(f"/campaigns/{campaign.id}/sample-size", headers=HTMX)
    assert answer.status_code == 200
    card = _text(answer.text)
    # 40 reachable contacts less the 10 % holdout: 36, 18 per variant.
    assert 'name="audience" value="36"' in answer.text and 'name="variants" value="2"' in answer.text
    assert "Testing Email: A 50 %, B 50 %, on the click rate." in card
    assert "40 in “everyone” now, 40 reachable by email, less the 10 % holdout." in card
    needed = sample_size_proportions(0.03, 0.2, relative=True, split=[50, 50])
    assert (f"Needs {needed.per_variant[0]:,} recipients per variant ({needed.total:,} in total) to detect a change "
            "from 3 % to 3.6 % with 80 % power at 95 % confidence.") in card
    smallest = detectable_rate(0.03, 18, 18)
    assert ("Your audience of 36 gives each variant 18: not enough to detect that change. With it, the smallest "
            f"change you can detect is from 3 % to {smallest * 100:.3g} %.") in card


def test_the_answer_follows_the_form(logged_in: LoggedIn, session: Session) -> None:
    campaign = _campaign(session, logged_in.tenant.id)
    url = f"/campaigns/{campaign.id}/sample-size/answer"
    query = {"baseline": "0.05", "mde": "0.01", "relative": "", "power": "0.9", "audience": "1,000,000",
             "variants": "2", "alpha": "0.05"}
    card = _text(logged_in.client.get(url, params=query, headers=HTMX).text)
    needed = sample_size_proportions(0.05, 0.01, power=0.9)
    assert f"Needs {needed.per_variant[0]:,} recipients per variant" in card and "from 5 % to 6 %" in card
    assert "gives each variant 500,000: enough to detect that change." in card
    # Three variants: equal thirds, not the campaign's 50/50.
    card = _text(logged_in.client.get(url, params={**query, "variants": "3"}, headers=HTMX).text)
    needed = sample_size_proportions(0.05, 0.01, power=0.9, variants=3)
    assert f"({needed.total:,} in total)" in card and "333,333" in card


def test_bad_input_is_explained(logged_in: LoggedIn, session: Session) -> None:
    campaign = _campaign(session, logged_in.tenant.id)
    url = f"/campaigns/{campaign.id}/sample-size/answer"
    base = {"baseline": "0.05", "mde": "0.2", "relative": "1", "power": "0.8", "variants": "2"}
    cases = [({"mde": "lots"}, "must be a number"), ({"audience": "-4"}, "cannot be negative"),
             ({"audience": "many"}, "whole number of recipients"), ({"baseline": "2"}, "between 0 and 1"),
             ({"mde": ""}, "Fill in the smallest change")]
    for change, message in cases:
        answer = logged_in.client.get(url, params={**base, **change}, headers=HTMX)
        assert answer.status_code == 200 and message in answer.text, (change, answer.text)
        assert 'role="alert"' in answer.text


def test_one_variant_gets_a_note(logged_in: LoggedIn, session: Session) -> None:
    campaign = _campaign(session, logged_in.tenant.id, variants=1)
    card = _text(logged_in.client.get(f"/campaigns/{campaign.id}/sample-size", headers=HTMX).text)
    assert "No message has two variants yet, so this is for a 50/50 test of two." in card
    assert "Needs" in card


def test_no_card_after_launch(logged_in: LoggedIn, session: Session) -> None:
    campaign = _campaign(session, logged_in.tenant.id)
    force_status(session, campaign, CampaignStatus.RUNNING)
    session.commit()
    page = logged_in.client.get(f"/campaigns/{campaign.id}").text
    assert "/sample-size" not in page


def test_viewers_see_it_other_workspaces_do_not(logged_in: LoggedIn, session: Session, tenant: Tenant,
                                               other_tenant: Tenant) -> None:
    campaign = _campaign(session, tenant.id)
    viewer = as_role(tenant, session, Role.VIEWER, own_client=True)
    assert "Needs" in viewer.client.get(f"/campaigns/{campaign.id}/sample-size", headers=HTMX).text
    stranger = as_role(other_tenant, session, Role.ADMIN, own_client=True)
    assert stranger.client.get(f"/campaigns/{campaign.id}/sample-size").status_code == 404
    assert stranger.client.get(f"/campaigns/{campaign.id}/sample-size/answer?mde=0.2").status_code == 404
    logged_in.client.cookies.clear()
    assert logged_in.client.get(f"/campaigns/{campaign.id}/sample-size", headers=HTMX).status_code == 401


@pytest.mark.browser
def test_the_card_in_a_browser(live_server: str, tenant: Tenant, session: Session,  # noqa: F811
                               tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    campaign = _campaign(session, tenant.id, audience=30, holdout="0")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{live_server}/login?next=/campaigns/{campaign.id}")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        card = page.locator("#sample-size")
        expect(card.locator("#sample-size-needed")).to_contain_text("recipients per variant")
        expect(card.locator("#sample-size-verdict")).to_contain_text("gives each variant 15: not enough")
        card.get_by_label("Audience").fill("2000000")
        card.get_by_label("Audience").press("Tab")  # a change recalculates
        expect(card.locator("#sample-size-verdict")).to_contain_text("gives each variant 1,000,000: enough")
        card.get_by_label("Power").select_option("0.9")
        expect(card.locator("#sample-size-needed")).to_contain_text("with 90 % power")
        card.screenshot(path=str(tmp_path / "sample-size-card.png"))
        browser.close()
