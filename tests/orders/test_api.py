"""The orders API: single and batch upsert, detail, listing, roles, isolation and limits."""

from __future__ import annotations

from typing import Any

from kempen.models import Role
from tests.conftest import Tenant


def _contact(tenant: Tenant, email: str) -> int:
    response = tenant.client.post("/api/v1/contacts", json={"email": email}, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _order(external_id: str, contact_id: int, **extra: Any) -> dict[str, Any]:
    return {"external_id": external_id, "contact_id": contact_id, "placed_at": "2025-04-01T09:30:00Z",
            "amount": "42.50", "currency": "MYR", **extra}


def test_post_creates_then_updates_and_replaces_items(tenant: Tenant) -> None:
    contact = _contact(tenant, "shop@example.com")
    headers = tenant.headers(Role.MARKETER)
    created = tenant.client.post("/api/v1/orders", json=_order("A-1", contact, items=[
        {"sku": "TEA", "name": "Tea", "quantity": 2, "price": "10"}, {"sku": "CUP", "price": "22.50"}]),
        headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == "42.50" and len(created.json()["items"]) == 2
    updated = tenant.client.post("/api/v1/orders", json=_order("A-1", contact, status="fulfilled",
                                                               items=[{"sku": "POT", "price": "42.5"}]),
                                 headers=headers)
    assert updated.status_code == 200 and updated.json()["id"] == created.json()["id"]
    detail = tenant.client.get(f"/api/v1/orders/{created.json()['id']}", headers=tenant.headers(Role.VIEWER)).json()
    assert detail["status"] == "fulfilled" and [i["sku"] for i in detail["items"]] == ["POT"]
    bad = tenant.client.post("/api/v1/orders", json=_order("A-2", contact, currency="XXQ"), headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_batch_reports_rows_and_pages_the_contact_history(tenant: Tenant) -> None:
    contact = _contact(tenant, "hist@example.com")
    orders = [_order(f"B-{i}", contact, placed_at=f"2025-01-{i + 1:02d}T00:00:00") for i in range(7)]
    orders.append(_order("B-bad", contact, amount="-3"))
    response = tenant.client.put("/api/v1/orders/batch", json={"orders": orders}, headers=tenant.headers())
    body = response.json()
    assert response.status_code == 200 and (body["created"], body["rejected"]) == (7, 1)
    assert body["errors"][0]["index"] == 7 and body["ids"][7] is None
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = tenant.client.get(f"/api/v1/contacts/{contact}/orders", params=params,
                                 headers=tenant.headers(Role.VIEWER)).json()
        seen += [o["external_id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"B-{i}" for i in reversed(range(7))]
    assert tenant.client.get("/api/v1/orders?cursor=%%%", headers=tenant.headers()).status_code == 422


def test_viewers_cannot_write_and_workspaces_are_isolated(tenant: Tenant, other_tenant: Tenant) -> None:
    mine = _contact(tenant, "mine@example.com")
    foreign = _contact(other_tenant, "foreign@example.com")
    assert tenant.client.post("/api/v1/orders", json=_order("V-1", mine),
                              headers=tenant.headers(Role.VIEWER)).status_code == 403
    assert tenant.client.put("/api/v1/orders/batch", json={"orders": []},
                             headers=tenant.headers(Role.ANALYST)).status_code == 403
    attach = tenant.client.post("/api/v1/orders", json=_order("F-1", foreign), headers=tenant.headers())
    assert attach.status_code == 422 and "unknown contact" in attach.json()["detail"]
    theirs = other_tenant.client.post("/api/v1/orders", json=_order("F-1", foreign), headers=other_tenant.headers())
    assert theirs.status_code == 201
    assert tenant.client.get(f"/api/v1/orders/{theirs.json()['id']}", headers=tenant.headers()).status_code == 404
    assert tenant.client.get(f"/api/v1/contacts/{foreign}/orders", headers=tenant.headers()).status_code == 404
    assert tenant.client.get("/api/v1/orders", params={"contact_id": foreign},
                             headers=tenant.headers()).json()["items"] == []


def test_batch_over_limit_is_refused(tenant: Tenant) -> None:
    orders = [_order(f"L-{i}", 1) for i in range(10_001)]
    response = tenant.client.put("/api/v1/orders/batch", json={"orders": orders}, headers=tenant.headers())
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
