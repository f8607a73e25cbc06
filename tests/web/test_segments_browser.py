"""The segment editor in a real browser: inline errors as you type, the live count, the builder and saving."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from kempen.crm import consents
from kempen.models import Channel, ConsentStatus
from kempen.segments import schemas
from kempen.segments import service as segments
from tests.conftest import Tenant
from tests.web.conftest import PASSWORD, make_contact, owner_email
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def _arrange(session: Session, workspace_id: int) -> None:
    for n in range(3):
        contact = make_contact(session, workspace_id, email=f"my{n}@example.com", first_name=f"Aisyah {n}",
                               country="MY", tags=["vip"] if n < 2 else [])
        consents.set_consent(session, workspace_id=workspace_id, actor="test", contact_id=contact.id,
                             channel=Channel.EMAIL, status=ConsentStatus.GRANTED)
    for n in range(5):
        make_contact(session, workspace_id, email=f"sg{n}@example.com", first_name=f"Wei {n}", country="SG",
                     tags=["vip"])
    session.commit()


def _screenshot(page: Any, path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar is drawn mid-page
    page.screenshot(path=str(path), full_page=True)


def test_write_a_rule_build_it_and_save_it(live_server: str, tenant: Tenant, session: Session,  # noqa: F811
                                           tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    _arrange(session, tenant.id)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/segments")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/segments")
        expect(page.get_by_text("No segments yet")).to_be_visible()
        page.get_by_role("link", name="New segment").click()
        expect(page).to_have_url(f"{live_server}/segments/new")

        rule = page.get_by_role("textbox", name="Rule", exact=True)
        rule.press_sequentially('country = "MY" and countree = "SG"', delay=15)
        error = page.locator(".rule-error")
        expect(error).to_contain_text("Line 1, column 20:")
        expect(error.locator("mark")).to_have_text("countree")
        expect(page.locator(".rb-stale-note")).to_be_visible()  # the builder waits for a valid text
        _screenshot(page, tmp_path / "segment-error.png")

        rule.fill("")
        rule.press_sequentially('country = "MY" and tag "vip"', delay=15)
        expect(page.locator("#segment-count")).to_have_text("2")
        expect(page.locator(".rule-error")).to_have_count(0)
        expect(page.locator('[data-channel="email"]')).to_have_text("2")
        builder = page.locator("#rule-builder")
        value = builder.get_by_label("Value", exact=True)
        expect(value).to_have_value("MY")
        expect(builder.get_by_label("Has tag")).to_have_value("vip")
        _screenshot(page, tmp_path / "segment-valid.png")

        value.fill("SG")
        expect(rule).to_have_value('country = "SG" and tag "vip"')
        expect(page.locator("#segment-count")).to_have_text("5")
        builder.get_by_label("Building block to add").select_option("consent")
        builder.get_by_role("button", name="Add").click()
        expect(rule).to_have_value('country = "SG" and tag "vip" and consent.email')
        expect(page.locator("#segment-count")).to_have_text("0")
        builder.get_by_role("button", name="Remove this condition").last.click()
        expect(rule).to_have_value('country = "SG" and tag "vip"')
        expect(page.locator("#segment-count")).to_have_text("5")
        _screenshot(page, tmp_path / "segment-builder.png")

        page.get_by_label("Name").fill("Singapore VIPs")
        page.get_by_role("button", name="Save segment").click()
        expect(page).to_have_url(re.compile(r"/segments\?saved=\d+$"))
        row = page.locator("#segment-rows tr", has_text="Singapore VIPs")
        expect(row).to_contain_text('country = "SG" and tag "vip"')
        expect(row.locator(".segment-count-cell")).to_have_text("5")
        screenshot = tmp_path / "segments.png"
        _screenshot(page, screenshot)
        print(f"screenshots: {tmp_path}")
        browser.close()
    assert screenshot.stat().st_size > 10_000


COMPLEX_RULE = ('(lifecycle_stage in ("lead", "mql") or not tag "churned") and orders.count(last 90d) >= 2 '
                'and events.count("page_view", last 7d) >= 3 and never("app_open", last 30d) '
                'and created_at > 30d ago and days_since(last_order) > 60 '
                'and orders.sum(amount, where category = "shoes") > 100 and consent.email')


def test_the_builder_shows_every_kind_of_node(live_server: str, tenant: Tenant, session: Session,  # noqa: F811
                                              tmp_path: Path) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    segment = segments.create_segment(session, workspace_id=tenant.id, actor="test",
                                      data=schemas.SegmentCreate(name="Lapsing leads", text=COMPLEX_RULE))
    session.commit()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/login?next=/segments/{segment.id}")
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        builder = page.locator("#rule-builder")
        expect(builder.locator(".rb-row")).to_have_count(9)
        chip = builder.locator(".rb-opaque code")
        expect(chip).to_have_text('orders.sum(amount, where category = "shoes") > 100')
        expect(builder.locator(".rb-subgroup")).to_have_count(2)  # the "or" and its "not"
        _screenshot(page, tmp_path / "segment-complex.png")

        rule = page.get_by_role("textbox", name="Rule", exact=True)
        builder.get_by_label("Did or never did").select_option("false")
        expect(rule).to_have_value(COMPLEX_RULE.replace('never("app_open"', 'ever("app_open"'))
        rule.fill('tag "vip" or tag "new"')
        expect(builder.locator(".rb-row")).to_have_count(2)
        expect(builder.get_by_label("How to combine").first).to_have_value("or")
        print(f"screenshots: {tmp_path}")
        browser.close()
    assert errors == []
