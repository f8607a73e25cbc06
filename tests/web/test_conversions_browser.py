"""The snippet in Chromium: a shop on another origin keeps the click id and reports a purchase."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Conversion
from kempen.tracking import site_keys
from tests.conftest import Tenant
from tests.tracking.test_conversions import click_id
from tests.web.conftest import make_contact
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _require_browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser
# The queue stub runs before the async script arrives: the call it queues must not be lost.
PAGE = """<!doctype html><html><head><title>{title}</title>
<script>window.kempen=window.kempen||function(){{(kempen.q=kempen.q||[]).push(arguments)}};</script>
<script src="{kempen}/static/kempen-track.js" data-site="{site}" async></script></head>
<body><h1>{title}</h1><a href="/thanks.html">Buy</a>{call}</body></html>"""
PURCHASE = '<script>kempen("conversion", {name: "purchase", value: 49.9, currency: "EUR", order_id: "A-1001"});</script>'


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static website on another origin (localhost, its own port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}", tmp_path
    server.shutdown()
    thread.join(timeout=10)


def wait_for_conversion(session: Session, tenant: Tenant) -> Conversion:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        session.expire_all()
        found = session.scalar(select(Conversion).where(Conversion.workspace_id == tenant.id))
        if found is not None:
            return found
        time.sleep(0.1)
    raise AssertionError("no conversion was recorded")


def test_the_snippet_keeps_the_click_id_and_sends_a_conversion(
    live_server: str, shop: tuple[str, Path], tenant: Tenant, session: Session,  # noqa: F811
) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    ada = make_contact(session, tenant.id, email="ada@example.com")
    site = site_keys.get_site_key(session, workspace_id=tenant.id)
    session.commit()
    origin, root = shop
    (root / "landing.html").write_text(PAGE.format(title="Sale", kempen=live_server, site=site, call=""))
    (root / "thanks.html").write_text(PAGE.format(title="Thanks", kempen=live_server, site=site, call=PURCHASE))
    kmp = click_id(tenant.id, ada.id, delivery_id=4242)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{origin}/landing.html?kmp={kmp}&utm_source=kempen")
        page.wait_for_function("typeof window.kempen === 'function' && !window.kempen.q")
        stored = page.evaluate("localStorage.getItem('kempen_kmp')")
        assert kmp in stored
        page.get_by_role("link", name="Buy").click()  # the thank-you page has no kmp in its address
        page.wait_for_selector("h1:has-text('Thanks')")
        conversion = wait_for_conversion(session, tenant)
        browser.close()
    assert (conversion.contact_id, conversion.delivery_id, conversion.name) == (ada.id, 4242, "purchase")
    assert (str(conversion.value), conversion.currency, conversion.source) == ("49.90", "EUR", "js")
    assert conversion.idempotency_key == "js:order:A-1001"
