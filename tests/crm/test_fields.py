"""Custom field definitions through the API: Admin declares, everyone reads."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import AuditEntry, Role
from tests.conftest import Tenant
from tests.crm.conftest import API


def test_declare_use_and_delete_a_field(session: Session, tenant: Tenant) -> None:
    c = tenant.client
    created = c.post(f"{API}/custom-fields", json={"key": "tier", "label": "Tier", "field_type": "choice",
                                                   "choices": ["gold", "silver"]}, headers=tenant.headers())
    assert created.status_code == 201, created.text
    assert created.json()["choices"] == ["gold", "silver"]
    listed = c.get(f"{API}/custom-fields", headers=tenant.headers(Role.VIEWER)).json()
    assert [f["key"] for f in listed] == ["tier"]
    contact = c.post(f"{API}/contacts", json={"email": "f@example.com", "custom_fields": {"tier": "gold"}},
                     headers=tenant.headers())
    assert contact.status_code == 201
    assert c.delete(f"{API}/custom-fields/tier", headers=tenant.headers()).status_code == 204
    assert c.get(f"{API}/custom-fields", headers=tenant.headers()).json() == []
    kept = c.get(f"{API}/contacts/{contact.json()['id']}", headers=tenant.headers()).json()
    assert kept["custom_fields"] == {"tier": "gold"}
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == tenant.id,
                                                                  AuditEntry.entity_type == "custom_field")))
    assert actions == {"custom_field.created", "custom_field.deleted"}


def test_bad_definitions_are_refused(tenant: Tenant) -> None:
    c = tenant.client
    ok = c.post(f"{API}/custom-fields", json={"key": "size", "field_type": "number"}, headers=tenant.headers())
    assert ok.status_code == 201 and ok.json()["label"] == "size"
    again = c.post(f"{API}/custom-fields", json={"key": "size", "field_type": "text"}, headers=tenant.headers())
    assert again.status_code == 409
    for body in ({"key": "Bad Key", "field_type": "text"}, {"key": "email", "field_type": "text"},
                 {"key": "pick", "field_type": "choice"}, {"key": "x", "field_type": "colour"}):
        assert c.post(f"{API}/custom-fields", json=body, headers=tenant.headers()).status_code == 422, body
    assert c.delete(f"{API}/custom-fields/nothing", headers=tenant.headers()).status_code == 404


def test_only_admins_change_fields(tenant: Tenant) -> None:
    c = tenant.client
    body = {"key": "plan", "field_type": "text"}
    assert c.post(f"{API}/custom-fields", json=body, headers=tenant.headers(Role.MARKETER)).status_code == 403
    assert c.post(f"{API}/custom-fields", json=body, headers=tenant.headers(Role.ADMIN)).status_code == 201
    assert c.delete(f"{API}/custom-fields/plan", headers=tenant.headers(Role.MARKETER)).status_code == 403
    assert c.get(f"{API}/custom-fields", headers=tenant.headers(Role.VIEWER)).status_code == 200
