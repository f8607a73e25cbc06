"""Suppressions, unsubscribes and the lookups the delivery engine will use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.crm import suppressions
from kempen.models import AuditEntry, Channel, Role
from tests.conftest import Tenant
from tests.crm.conftest import API, make_contacts


def test_add_list_delete_with_normalisation(tenant: Tenant) -> None:
    c = tenant.client
    added = c.post(f"{API}/suppressions", json={"channel": "email", "address": " Bounce@Example.COM ",
                                               "reason": "bounced"}, headers=tenant.headers(Role.MARKETER))
    assert added.status_code == 201, added.text
    assert added.json()["address"] == "bounce@example.com"
    phone = c.post(f"{API}/suppressions", json={"channel": "sms", "address": "+60 12-345 6789"},
                   headers=tenant.headers())
    assert phone.status_code == 201 and phone.json()["address"] == "+60123456789"
    assert phone.json()["reason"] == "manual"
    dup = c.post(f"{API}/suppressions", json={"channel": "email", "address": "bounce@example.com"},
                 headers=tenant.headers())
    assert dup.status_code == 409
    page = c.get(f"{API}/suppressions", params={"limit": 1}, headers=tenant.headers(Role.VIEWER)).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = c.get(f"{API}/suppressions", params={"cursor": page["next_cursor"]}, headers=tenant.headers()).json()
    assert {s["address"] for s in page["items"] + rest["items"]} == {"bounce@example.com", "+60123456789"}
    only_sms = c.get(f"{API}/suppressions", params={"channel": "sms"}, headers=tenant.headers()).json()
    assert [s["channel"] for s in only_sms["items"]] == ["sms"]
    by_address = c.get(f"{API}/suppressions", params={"address": "+60 12-345 6789"}, headers=tenant.headers()).json()
    assert [s["id"] for s in by_address["items"]] == [phone.json()["id"]]
    assert c.delete(f"{API}/suppressions/{phone.json()['id']}", headers=tenant.headers()).status_code == 204
    assert c.delete(f"{API}/suppressions/{phone.json()['id']}", headers=tenant.headers()).status_code == 404


def test_invalid_addresses_are_422(tenant: Tenant) -> None:
    c = tenant.client
    for body in ({"channel": "email", "address": "not-an-email"}, {"channel": "sms", "address": "call me"},
                 {"channel": "email", "address": "a@example.com", "reason": "bored"}):
        assert c.post(f"{API}/suppressions", json=body, headers=tenant.headers()).status_code == 422, body


def test_unsubscribe_sets_consent_and_suppresses(session: Session, tenant: Tenant) -> None:
    c = tenant.client
    (contact,) = make_contacts(tenant, 1, prefix="Unsub")
    result = c.post(f"{API}/contacts/{contact}/unsubscribe", headers=tenant.headers(Role.MARKETER))
    assert result.status_code == 200, result.text
    assert result.json() == {"channel": "email", "status": "unsubscribed", "suppressed_address": "unsub0@example.com"}
    consents = c.get(f"{API}/contacts/{contact}/consents", headers=tenant.headers()).json()
    assert [(x["channel"], x["status"]) for x in consents] == [("email", "unsubscribed")]
    listed = c.get(f"{API}/suppressions", params={"address": "UNSUB0@example.com", "channel": "email"},
                   headers=tenant.headers()).json()["items"]
    assert [(s["address"], s["reason"]) for s in listed] == [("unsub0@example.com", "unsubscribed")]
    again = c.post(f"{API}/contacts/{contact}/unsubscribe", json={"channel": "email"}, headers=tenant.headers())
    assert again.status_code == 200
    sms = c.post(f"{API}/contacts/{contact}/unsubscribe", json={"channel": "sms", "source": "STOP reply"},
                 headers=tenant.headers())
    assert sms.json()["suppressed_address"] == "+60123450000"
    session.expire_all()
    assert suppressions.is_suppressed(session, workspace_id=tenant.id, channel=Channel.EMAIL,
                                      address="Unsub0@Example.com")
    assert suppressions.is_suppressed(session, workspace_id=tenant.id, channel=Channel.SMS, address="+60123450000")
    assert not suppressions.is_suppressed(session, workspace_id=tenant.id, channel=Channel.SMS,
                                          address="unsub0@example.com")
    audited = session.scalars(select(AuditEntry.action).where(
        AuditEntry.workspace_id == tenant.id, AuditEntry.entity_id == str(contact))).all()
    assert audited.count("contact.unsubscribed") == 3 and "consent.changed" in audited


def test_unsubscribe_missing_contact_is_404_and_leaves_nothing(tenant: Tenant) -> None:
    c = tenant.client
    assert c.post(f"{API}/contacts/{10**9}/unsubscribe", headers=tenant.headers()).status_code == 404
    assert c.post(f"{API}/contacts/1/unsubscribe", json={"channel": "fax"}, headers=tenant.headers()).status_code == 422
    assert c.get(f"{API}/suppressions", headers=tenant.headers()).json()["items"] == []


def test_suppressed_addresses_is_set_based(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    c = tenant.client
    for address in ("a@example.com", "b@example.com"):
        c.post(f"{API}/suppressions", json={"channel": "email", "address": address}, headers=tenant.headers())
    other_tenant.client.post(f"{API}/suppressions", json={"channel": "email", "address": "c@example.com"},
                             headers=other_tenant.headers())
    asked = ["A@example.com", "b@example.com", "c@example.com", "junk", "d@example.com"]
    found = suppressions.suppressed_addresses(session, workspace_id=tenant.id, channel=Channel.EMAIL, addresses=asked)
    assert found == {"A@example.com", "b@example.com"}
    assert suppressions.suppressed_addresses(session, workspace_id=tenant.id, channel=Channel.SMS,
                                             addresses=asked) == set()
