"""Unsubscribe tokens and the public /u/{token} pages: forged, altered, valid, one-click, idempotent."""

from __future__ import annotations

import base64
import json

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.contacts.schemas import ContactCreate
from kempen.contacts.service import create_contact, delete_contact
from kempen.kit.errors import InvalidInput
from kempen.models import AuditEntry, Channel, Consent, ConsentStatus, Suppression
from kempen.tracking.tokens import UNSUBSCRIBE
from kempen.tracking.unsubscribe import unsubscribe_by_token, unsubscribe_url, verify_unsubscribe_token
from tests.conftest import Tenant, unique


def new_contact(session: Session, tenant: Tenant) -> tuple[int, str]:
    address = f"{unique('u')}@example.com"
    contact = create_contact(session, workspace_id=tenant.id, actor="test", data=ContactCreate(email=address))
    session.commit()
    return contact.id, address


def token_for(tenant: Tenant, contact_id: int, **extra: int | None) -> str:
    fields: dict[str, int | None] = {"campaign_id": 7, "delivery_id": 99}
    fields.update(extra)
    url = unsubscribe_url(workspace_id=tenant.id, contact_id=contact_id, channel=Channel.EMAIL, **fields)
    assert url.startswith(get_settings().base_url + "/u/")
    return url.rsplit("/", 1)[1]


def state(session: Session, tenant: Tenant, contact_id: int, address: str) -> tuple[object, bool, int]:
    session.expire_all()
    consent = session.get(Consent, (contact_id, Channel.EMAIL))
    suppressed = session.scalar(select(Suppression.id).where(
        Suppression.workspace_id == tenant.id, Suppression.address == address)) is not None
    links = session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == tenant.id,
                                                     AuditEntry.action == "unsubscribe.link_used")).all()
    return (consent.status if consent else None), suppressed, len(links)


def test_token_round_trip_and_tampering(tenant: Tenant) -> None:
    token = token_for(tenant, 5, campaign_id=None, delivery_id=None)
    data = verify_unsubscribe_token(token)
    assert (data.workspace_id, data.contact_id, data.channel, data.campaign_id, data.delivery_id) == \
        (tenant.id, 5, Channel.EMAIL, None, None)
    assert len(token) < 120
    body, signature = token_for(tenant, 5).split(".")
    forged_body = base64.urlsafe_b64encode(json.dumps({"w": tenant.id, "c": 6, "h": "email"}).encode())
    other_purpose = URLSafeSerializer(get_settings().signing_key, salt="kempen.click.v1").dumps(
        {"w": tenant.id, "c": 5, "h": "email"})
    wrong_key = URLSafeSerializer("another key", salt=UNSUBSCRIBE).dumps({"w": tenant.id, "c": 5, "h": "email"})
    for bad in (forged_body.decode().rstrip("=") + "." + signature, body + "." + signature[:-2] + "AA",
                body, "", other_purpose, wrong_key, "x" * 50):
        with pytest.raises(InvalidInput):
            verify_unsubscribe_token(bad)


def test_unsubscribe_by_token_is_idempotent_and_audited(session: Session, tenant: Tenant) -> None:
    contact_id, address = new_contact(session, tenant)
    token = token_for(tenant, contact_id)
    first = unsubscribe_by_token(session, token, source="one_click")
    second = unsubscribe_by_token(session, token, source="unsubscribe_page")
    session.commit()
    assert (first.contact_found, first.already_unsubscribed) == (True, False)
    assert (second.contact_found, second.already_unsubscribed) == (True, True)
    assert state(session, tenant, contact_id, address) == (ConsentStatus.UNSUBSCRIBED, True, 1)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == tenant.id,
                                                     AuditEntry.action == "unsubscribe.link_used")).one()
    assert entry.actor == f"contact:{contact_id}"
    assert entry.details == {"channel": "email", "campaign_id": 7, "delivery_id": 99, "source": "one_click"}


def test_get_only_asks_and_post_unsubscribes(session: Session, tenant: Tenant) -> None:
    contact_id, address = new_contact(session, tenant)
    token = token_for(tenant, contact_id)
    page = tenant.client.get(f"/u/{token}")
    assert page.status_code == 200 and "Unsubscribe from emails?" in page.text
    assert tenant.workspace.name in page.text and address not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    # A GET (mail scanners prefetch links) changes nothing.
    assert state(session, tenant, contact_id, address) == (None, False, 0)
    done = tenant.client.post(f"/u/{token}")
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert state(session, tenant, contact_id, address) == (ConsentStatus.UNSUBSCRIBED, True, 1)


@pytest.mark.parametrize("multipart", [False, True])
def test_one_click_post_without_cookie_or_csrf(session: Session, tenant: Tenant, multipart: bool) -> None:
    contact_id, address = new_contact(session, tenant)
    token = token_for(tenant, contact_id)
    tenant.client.cookies.clear()
    if multipart:
        response = tenant.client.post(f"/u/{token}", files={"List-Unsubscribe": (None, "One-Click")})
    else:
        response = tenant.client.post(f"/u/{token}", content=b"List-Unsubscribe=One-Click",
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert state(session, tenant, contact_id, address) == (ConsentStatus.UNSUBSCRIBED, True, 1)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == tenant.id,
                                                     AuditEntry.action == "unsubscribe.link_used")).one()
    assert entry.details["source"] == "one_click"
    # Replayed by the mail client: still 200, still one unsubscribe.
    assert tenant.client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert state(session, tenant, contact_id, address) == (ConsentStatus.UNSUBSCRIBED, True, 1)


def test_altered_token_records_nothing(session: Session, tenant: Tenant) -> None:
    contact_id, address = new_contact(session, tenant)
    body, signature = token_for(tenant, contact_id).split(".")
    other_id, _ = new_contact(session, tenant)
    other_body = base64.urlsafe_b64encode(
        json.dumps({"w": tenant.id, "c": other_id, "h": "email", "k": 7, "d": 99}, separators=(",", ":")).encode()
    ).decode().rstrip("=")
    for bad in (f"{other_body}.{signature}", f"{body}.{signature[::-1]}", "garbage"):
        for method in ("get", "post"):
            response = getattr(tenant.client, method)(f"/u/{bad}")
            assert response.status_code == 400 and "This link is not valid" in response.text
    assert state(session, tenant, contact_id, address) == (None, False, 0)
    assert session.get(Consent, (other_id, Channel.EMAIL)) is None


def test_deleted_contact_gets_a_friendly_page(session: Session, tenant: Tenant) -> None:
    contact_id, _ = new_contact(session, tenant)
    token = token_for(tenant, contact_id)
    delete_contact(session, workspace_id=tenant.id, actor="test", contact_id=contact_id)
    session.commit()
    assert tenant.client.get(f"/u/{token}").status_code == 200
    response = tenant.client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "no longer exists" in response.text


def test_unsubscribe_url_is_cheap(tenant: Tenant) -> None:
    import time

    started = time.perf_counter()
    for i in range(2000):
        unsubscribe_url(workspace_id=tenant.id, contact_id=i + 1, channel=Channel.EMAIL, campaign_id=3,
                        delivery_id=i + 1)
    # About 10 µs each on a slow machine; a regression to per-call key derivation or zlib shows here.
    assert (time.perf_counter() - started) / 2000 < 100e-6
