"""In a real browser: an admin uploads a logo and sets colours on /settings/brand, and sees both."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.brand import kit
from kempen.models import Role
from tests.brand.test_kit import image_bytes
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_an_admin_uploads_a_logo_and_sets_colours(
    live_server: str, tenant: Tenant, session: Session, tmp_path: Path,  # noqa: F811
) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    email = f"{unique('admin-')}@example.com"
    admin = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=admin.id, role=Role.ADMIN)
    session.commit()
    logo = tmp_path / "logo.png"
    logo.write_bytes(image_bytes("PNG", (160, 48)))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/contacts")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator("#brand-link").click()
        expect(page.get_by_role("heading", name="Brand kit", level=1)).to_be_visible()
        expect(page.locator("#no-logo")).to_be_visible()

        page.get_by_label("Upload a logo").set_input_files(str(logo))
        page.get_by_role("button", name="Upload the logo").click()
        expect(page.locator("#notice")).to_have_text("Logo saved.")
        shown = page.locator("#logo-current")
        expect(shown).to_be_visible()
        assert shown.evaluate("img => img.complete && img.naturalWidth") == 160  # the public route served it

        page.get_by_label("Primary").fill("#8b0000")
        page.get_by_label("Accent").fill("#228b22")
        page.get_by_label("Brand name").fill("Acme Tea")
        # The sample follows the form before anything is saved.
        frame = page.frame_locator("#sample-frame")
        expect(frame.locator("td").first).to_have_attribute("style", "background:#8b0000;padding:16px 24px")
        sample_logo = frame.locator("img")
        expect(sample_logo).to_have_attribute("alt", "Acme Tea")
        assert sample_logo.evaluate("img => img.complete && img.naturalWidth") == 160  # allowed by the frame policy
        page.get_by_role("button", name="Save the brand kit").click()
        expect(page.locator("#notice")).to_have_text("Brand kit saved.")
        expect(page.get_by_label("Primary")).to_have_value("#8b0000")
        expect(page.locator("#logo-current")).to_be_visible()
        page.screenshot(path=str(tmp_path / "brand.png"), full_page=True)
        browser.close()

    session.expire_all()
    variables = kit.brand_variables(session, workspace_id=tenant.id)
    assert (variables["name"], variables["colours"]["primary"], variables["colours"]["accent"]) == (
        "Acme Tea", "#8b0000", "#228b22")
    assert variables["logo_width"] == 160
