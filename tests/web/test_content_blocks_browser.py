"""In a real browser: a marketer creates a content block, sees it rendered, edits it and finds it in the list."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.brand import blocks
from kempen.models import Role
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_marketer_creates_and_edits_a_block(
    live_server: str, tenant: Tenant, session: Session, tmp_path: Path,  # noqa: F811
) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    email = f"{unique('marketer-')}@example.com"
    marketer = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=marketer.id, role=Role.MARKETER)
    session.commit()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/content-blocks")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Content blocks", level=1)).to_be_visible()
        page.get_by_label("Name").fill("Spring banner")
        page.get_by_label("Key").fill("spring-banner")
        page.get_by_label("HTML").fill('<p style="color:#d97706">Spring tea for {{ first_name }}</p>')
        page.get_by_label("Text").fill("Spring tea for {{ first_name }}")
        page.get_by_role("button", name="Create block").click()

        expect(page.get_by_role("heading", name="Spring banner", level=1)).to_be_visible()
        expect(page.locator("#block-tag")).to_have_text('{% content "spring-banner" %}')
        frame = page.frame_locator("#preview-html")
        expect(frame.locator("p")).to_have_text("Spring tea for Alex")
        expect(page.locator("#preview-text")).to_have_text("Spring tea for Alex")
        page.screenshot(path=str(tmp_path / "block.png"), full_page=True)

        page.get_by_label("HTML").fill("<p>Spring tea for {{ first_name }}\n{{ x | nope }}</p>")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#problem")).to_contain_text("html, line 2: unknown filter 'nope'")
        page.get_by_label("HTML").fill("<p>Summer tea for {{ first_name }}</p>")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#notice")).to_have_text("Saved.")
        expect(frame.locator("p")).to_have_text("Summer tea for Alex")

        page.get_by_role("link", name="Blocks", exact=True).click()
        row = page.locator("#block-list tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Spring banner")
        expect(row).to_contain_text("0 campaigns")
        browser.close()
    session.expire_all()
    assert blocks.get_block_or_raise(session, workspace_id=tenant.id, key="spring-banner").version == 2
