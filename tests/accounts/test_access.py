"""Authentication, roles and workspace isolation."""

from __future__ import annotations

import pytest

from kempen.models import Role
from tests.conftest import Tenant


def test_no_key_or_a_bad_key_is_401(tenant: Tenant) -> None:
    assert tenant.client.get("/api/v1/contacts").status_code == 401
    bad = tenant.client.get("/api/v1/contacts", headers={"Authorization": "Bearer kmp_forged"})
    assert bad.status_code == 401 and bad.headers["content-type"] == "application/problem+json"


def test_a_key_of_workspace_a_reads_nothing_of_workspace_b(tenant: Tenant, other_tenant: Tenant) -> None:
    created = other_tenant.client.post("/api/v1/contacts", json={"email": "secret@example.com"},
                                       headers=other_tenant.headers()).json()
    c = tenant.client
    assert c.get(f"/api/v1/contacts/{created['id']}", headers=tenant.headers()).status_code == 404
    assert c.patch(f"/api/v1/contacts/{created['id']}", json={"first_name": "x"},
                   headers=tenant.headers()).status_code == 404
    assert c.delete(f"/api/v1/contacts/{created['id']}", headers=tenant.headers()).status_code == 404
    listing = c.get("/api/v1/contacts", params={"q": "secret"}, headers=tenant.headers()).json()
    assert listing["items"] == []
    merged = c.post("/api/v1/contacts/merge", json={"survivor_id": created["id"], "loser_id": created["id"] + 1},
                    headers=tenant.headers())
    assert merged.status_code in (404, 422)
    # Upserting the same email in A creates A's own contact, never touches B's.
    upsert = c.put("/api/v1/contacts/batch", json={"contacts": [{"email": "secret@example.com"}]},
                   headers=tenant.headers()).json()
    assert upsert["created"] == 1 and upsert["ids"][0] != created["id"]


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.VIEWER, False), (Role.ANALYST, False), (Role.MARKETER, True), (Role.ADMIN, True)])
def test_only_marketers_and_up_write_contacts(tenant: Tenant, role: Role, allowed: bool) -> None:
    response = tenant.client.post("/api/v1/contacts", json={"email": f"{role.value}@example.com"},
                                  headers=tenant.headers(role))
    assert response.status_code == (201 if allowed else 403)
    assert tenant.client.get("/api/v1/contacts", headers=tenant.headers(role)).status_code == 200


def test_api_keys_are_shown_once_and_capped_by_role(tenant: Tenant) -> None:
    c = tenant.client
    assert c.post("/api/v1/api-keys", json={"name": "x", "role": "viewer"},
                  headers=tenant.headers(Role.MARKETER)).status_code == 403
    created = c.post("/api/v1/api-keys", json={"name": "sync", "role": "marketer"}, headers=tenant.headers())
    assert created.status_code == 201
    key = created.json()["key"]
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()["role"] == "marketer"
    listed = c.get("/api/v1/api-keys", headers=tenant.headers()).json()
    assert all("key" not in k for k in listed)
    assert c.post("/api/v1/api-keys", json={"name": "up", "role": "owner"},
                  headers=tenant.headers()).status_code == 403
    revoked = c.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=tenant.headers())
    assert revoked.status_code == 200
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
