"""Consents per channel: set with a source and time, audited; batch with per-row refusals."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.clock import utcnow
from kempen.models import AuditEntry, Role
from tests.conftest import Tenant
from tests.crm.conftest import API, make_contacts


def test_set_and_read_consents_with_audit(session: Session, tenant: Tenant) -> None:
    c = tenant.client
    (contact,) = make_contacts(tenant, 1, prefix="consent")
    before = utcnow()
    granted = c.put(f"{API}/contacts/{contact}/consents/email", json={"status": "granted", "source": "signup form"},
                    headers=tenant.headers(Role.MARKETER))
    assert granted.status_code == 200, granted.text
    assert granted.json()["status"] == "granted" and granted.json()["source"] == "signup form"
    c.put(f"{API}/contacts/{contact}/consents/sms", json={"status": "denied"}, headers=tenant.headers())
    c.put(f"{API}/contacts/{contact}/consents/email", json={"status": "unsubscribed", "source": "footer"},
          headers=tenant.headers())
    listed = c.get(f"{API}/contacts/{contact}/consents", headers=tenant.headers(Role.VIEWER)).json()
    assert {x["channel"]: x["status"] for x in listed} == {"email": "unsubscribed", "sms": "denied"}
    assert all(x["recorded_at"] >= before.isoformat()[:19] for x in listed)
    entries = list(session.scalars(select(AuditEntry).where(
        AuditEntry.workspace_id == tenant.id, AuditEntry.action == "consent.changed",
        AuditEntry.entity_id == str(contact)).order_by(AuditEntry.id)))
    assert [(e.details["channel"], e.details["previous"], e.details["status"]) for e in entries] == [
        ("email", None, "granted"), ("sms", None, "denied"), ("email", "granted", "unsubscribed")]


def test_bad_consent_requests(tenant: Tenant) -> None:
    c = tenant.client
    (contact,) = make_contacts(tenant, 1, prefix="badconsent")
    assert c.put(f"{API}/contacts/{contact}/consents/fax", json={"status": "granted"},
                 headers=tenant.headers()).status_code == 422
    assert c.put(f"{API}/contacts/{contact}/consents/email", json={"status": "maybe"},
                 headers=tenant.headers()).status_code == 422
    assert c.put(f"{API}/contacts/{10**9}/consents/email", json={"status": "granted"},
                 headers=tenant.headers()).status_code == 404
    assert c.get(f"{API}/contacts/{10**9}/consents", headers=tenant.headers()).status_code == 404


def test_batch_applies_good_rows_refuses_bad_and_keeps_newer(tenant: Tenant) -> None:
    c = tenant.client
    first, second = make_contacts(tenant, 2, prefix="batchconsent")
    old = (utcnow() - timedelta(days=3)).isoformat()
    rows = [
        {"contact_id": first, "channel": "email", "status": "granted", "source": "import"},
        {"contact_email": "BatchConsent1@example.com", "channel": "sms", "status": "granted", "recorded_at": old},
        {"contact_id": first, "channel": "email", "status": "denied", "recorded_at": old},
        {"contact_id": 10**9, "channel": "email", "status": "granted"},
        {"contact_email": "nobody@example.com", "channel": "email", "status": "granted"},
        {"contact_id": first, "contact_email": "x@example.com", "channel": "email", "status": "granted"},
        {"contact_id": first, "channel": "pigeon", "status": "granted"},
        {"contact_id": first, "channel": "push", "status": "granted",
         "recorded_at": (utcnow() + timedelta(days=1)).isoformat()},
    ]
    response = c.put(f"{API}/consents/batch", json={"consents": rows}, headers=tenant.headers())
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["applied"], body["stale"], body["rejected"]) == (2, 1, 5)
    assert [e["index"] for e in body["errors"]] == [3, 4, 5, 6, 7]
    email = {x["channel"]: x for x in c.get(f"{API}/contacts/{first}/consents", headers=tenant.headers()).json()}
    assert email["email"]["status"] == "granted"
    sms = c.get(f"{API}/contacts/{second}/consents", headers=tenant.headers()).json()
    assert [(x["channel"], x["status"]) for x in sms] == [("sms", "granted")]


def test_batch_limits(tenant: Tenant) -> None:
    c = tenant.client
    assert c.put(f"{API}/consents/batch", json={"consents": []}, headers=tenant.headers()).status_code == 422
    too_many = [{"contact_id": 1, "channel": "email", "status": "granted"}] * 10_001
    assert c.put(f"{API}/consents/batch", json={"consents": too_many}, headers=tenant.headers()).status_code == 422
