"""The snippet's public endpoint /t/conversion and the site key box on the settings page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Conversion
from kempen.tracking import site_keys
from kempen.web.views import conversions as view
from tests.conftest import Tenant
from tests.tracking.test_conversions import click_id
from tests.web.conftest import LoggedIn, make_contact

URL = "/t/conversion"


@pytest.fixture(autouse=True)
def _fresh_limiter() -> Iterator[None]:
    view.limiter.reset()
    yield
    view.limiter.reset()


def site_key(session: Session, tenant: Tenant) -> str:
    key = site_keys.get_site_key(session, workspace_id=tenant.id)
    session.commit()
    return key


def beacon(tenant: Tenant, body: dict[str, Any]) -> Any:
    """Post as navigator.sendBeacon does: a text/plain body from another origin."""
    return tenant.client.post(URL, content=orjson.dumps(body),
                              headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"})


def rows(session: Session, tenant: Tenant) -> list[Conversion]:
    session.expire_all()
    return list(session.scalars(select(Conversion).where(Conversion.workspace_id == tenant.id)))


def test_a_genuine_click_id_records_contact_and_delivery(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    answer = beacon(tenant, {"site": site_key(session, tenant), "kmp": click_id(tenant.id, ada.id, 812),
                             "name": "purchase", "value": 49.9, "order_id": "A-1001", "event_id": "e" * 16})
    assert answer.status_code == 204, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    [row] = rows(session, tenant)
    assert (row.contact_id, row.delivery_id, row.name, str(row.value), row.currency, row.source) == (
        ada.id, 812, "purchase", "49.90", "EUR", "js")
    assert row.properties == {"order_id": "A-1001"} and row.order_id is None


def test_the_same_order_or_event_is_recorded_once(session: Session, tenant: Tenant) -> None:
    key = site_key(session, tenant)
    for _ in range(3):
        assert beacon(tenant, {"site": key, "order_id": "A-1", "event_id": "x" * 10}).status_code == 204
    assert beacon(tenant, {"site": key, "order_id": 2}).status_code == 204
    for _ in range(2):
        assert beacon(tenant, {"site": key, "event_id": "retried-event"}).status_code == 204
    assert len(rows(session, tenant)) == 3


def test_without_a_click_id_the_conversion_is_anonymous(session: Session, tenant: Tenant) -> None:
    assert beacon(tenant, {"site": site_key(session, tenant), "value": "10", "currency": "usd"}).status_code == 204
    [row] = rows(session, tenant)
    assert (row.contact_id, row.delivery_id, row.currency, row.idempotency_key) == (None, None, "USD", None)


def test_forged_and_foreign_click_ids_record_nothing(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    theirs = make_contact(session, other_tenant.id, email="theirs@example.com")
    key = site_key(session, tenant)
    genuine = click_id(tenant.id, ada.id)
    forged = genuine.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    for token in (forged, click_id(other_tenant.id, theirs.id), "garbage"):
        answer = beacon(tenant, {"site": key, "kmp": token})
        assert answer.status_code == 422, token
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["access-control-allow-origin"] == "*"
    # A genuine click id sent with another workspace's site key is refused too.
    assert beacon(other_tenant, {"site": site_key(session, other_tenant), "kmp": genuine}).status_code == 422
    assert rows(session, tenant) == [] and rows(session, other_tenant) == []


def test_bad_requests_are_4xx(session: Session, tenant: Tenant) -> None:
    key = site_key(session, tenant)
    assert beacon(tenant, {"site": "no-such-site-key"}).status_code == 404
    assert beacon(tenant, {"name": "x"}).status_code == 422
    assert beacon(tenant, {"site": key, "value": -1}).status_code == 422
    assert beacon(tenant, {"site": key, "currency": "euros"}).status_code == 422
    assert tenant.client.post(URL, content=b"{not json").status_code == 400
    assert tenant.client.post(URL, content=b"[]").status_code == 422
    big = beacon(tenant, {"site": key, "properties": {"x": "y" * 5000}})
    assert big.status_code == 413 and big.headers["access-control-allow-origin"] == "*"
    assert rows(session, tenant) == []


def test_preflight_allows_any_origin_without_credentials(tenant: Tenant) -> None:
    answer = tenant.client.options(URL, headers={"Origin": "https://shop.example",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "content-type"})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert answer.headers["access-control-allow-headers"].lower() == "content-type"


def test_a_flood_from_one_address_gets_429(session: Session, tenant: Tenant) -> None:
    key = site_key(session, tenant)
    codes = [beacon(tenant, {"site": key, "event_id": f"flood-{n:04d}"}).status_code for n in range(view.limiter.burst + 5)]
    assert codes[:view.limiter.burst] == [204] * view.limiter.burst
    assert set(codes[view.limiter.burst:]) == {429}
    assert len(rows(session, tenant)) == view.limiter.burst


def test_the_token_bucket_refills_over_time() -> None:
    bucket = view.TokenBucket(rate=1000, burst=2)
    assert bucket.allow("a") and bucket.allow("a")
    assert bucket.allow("b")  # other addresses have their own bucket
    import time
    time.sleep(0.01)
    assert bucket.allow("a")


def test_the_snippet_is_served(tenant: Tenant) -> None:
    answer = tenant.client.get("/static/kempen-track.js")
    assert answer.status_code == 200 and "javascript" in answer.headers["content-type"]
    assert "sendBeacon" in answer.text and '"kmp"' in answer.text


def test_settings_page_shows_the_site_key_and_admins_rotate_it(session: Session, logged_in: LoggedIn) -> None:
    page = logged_in.client.get("/settings/tracking")
    assert 'hx-get="/settings/tracking/site"' in page.text
    box = logged_in.client.get("/settings/tracking/site")
    key = site_keys.get_site_key(session, workspace_id=logged_in.tenant.id)
    assert box.status_code == 200 and f'data-site="{key}"' in box.text and "kempen-track.js" in box.text
    refused = logged_in.client.post("/settings/tracking/site")
    assert refused.status_code == 403 and "expired" in refused.text
    rotated = logged_in.client.post("/settings/tracking/site", headers={"X-CSRF-Token": logged_in.csrf})
    session.expire_all()
    new_key = site_keys.get_site_key(session, workspace_id=logged_in.tenant.id)
    assert rotated.status_code == 200 and new_key != key and f'value="{new_key}"' in rotated.text
