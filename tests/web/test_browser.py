"""One end-to-end check in a real browser: log in, search, open a profile, page through orders."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kempen.app import create_app
from tests.conftest import Tenant
from tests.web.conftest import PASSWORD, add_events, add_orders, make_contact, owner_email

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _require_browser() -> None:
    """Skip without Chromium locally; CI sets KEMPEN_REQUIRE_BROWSER=1 so that a missing browser fails."""
    missing = None if CHROMIUM.exists() else f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "playwright is not installed"
    if missing and os.environ.get("KEMPEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required but {missing}", pytrace=False)
    if missing:
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(db: Engine) -> Iterator[str]:
    """Serve the app on a free loopback port in a thread, against the test database."""
    if db.dialect.name != "sqlite":
        pytest.skip("the browser test runs on the SQLite backend only")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(background=False), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the test server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_log_in_search_and_open_a_profile(
    live_server: str, tenant: Tenant, session: Session, tmp_path: Path,
) -> None:
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    nadia = make_contact(session, tenant.id, email="nadia.rahman@example.com", first_name="Nadia",
                         last_name="Rahman", country="MY", phone="+60123456789", lifecycle_stage="customer",
                         tags=["vip", "newsletter"])
    for n in range(8):
        make_contact(session, tenant.id, email=f"shopper{n}@example.com", first_name=f"Shopper {n}", country="SG")
    add_orders(session, tenant.id, nadia.id, 6, "NR")
    add_events(session, tenant.id, nadia.id, ["signed_up", "page_view", "added_to_cart", "checkout"])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server}/contacts")
        expect(page).to_have_url(f"{live_server}/login?next=/contacts")
        page.screenshot(path=str(tmp_path / "login.png"))
        page.get_by_label("Email").fill(owner_email(tenant))
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{live_server}/contacts")
        expect(page.locator("#contact-rows .row-link")).to_have_count(9)
        page.screenshot(path=str(tmp_path / "contacts.png"), full_page=True)

        page.get_by_label("Search").press_sequentially("nadia", delay=40)
        expect(page.locator("#contact-rows .row-link")).to_have_count(1)
        expect(page).to_have_url(f"{live_server}/contacts?q=nadia")
        page.get_by_role("link", name="Nadia Rahman").click()

        expect(page.locator("#contact-name")).to_have_text("Nadia Rahman")
        expect(page.locator("#contact-email")).to_have_text("nadia.rahman@example.com")
        orders = page.locator("#orders .order")
        expect(orders).to_have_count(5)
        expect(orders.first).to_contain_text("Order NR-5")
        expect(orders.first).to_contain_text("SKU-NR-5")
        page.get_by_role("button", name="Show more orders").click()
        expect(orders).to_have_count(6)
        expect(page.locator("#events .timeline-item").first).to_contain_text("checkout")
        screenshot = tmp_path / "profile.png"
        page.evaluate("window.scrollTo(0, 0)")  # else the sticky top bar is drawn mid-page
        page.screenshot(path=str(screenshot), full_page=True)
        print(f"screenshots: {tmp_path}")
        browser.close()
    assert screenshot.stat().st_size > 10_000
