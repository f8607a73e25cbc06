"""Factories for the CRM tests."""

from __future__ import annotations

from tests.conftest import Tenant

API = "/api/v1"


def make_contacts(tenant: Tenant, count: int, prefix: str = "c") -> list[int]:
    """Create `count` contacts through the API and return their ids."""
    records = [{"email": f"{prefix}{i}@example.com", "phone": f"+6012345{i:04d}"} for i in range(count)]
    response = tenant.client.put(f"{API}/contacts/batch", json={"contacts": records}, headers=tenant.headers())
    assert response.status_code == 200, response.text
    ids = response.json()["ids"]
    assert None not in ids
    return [int(i) for i in ids]
