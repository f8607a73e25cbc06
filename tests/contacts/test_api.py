"""The contacts API: CRUD, custom fields, pagination, merge, errors as problem+json."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.contacts import custom_fields
from kempen.kit.clock import utcnow
from kempen.models import AuditEntry, CustomFieldType, Order, Role
from tests.conftest import Tenant


def test_create_read_update_delete(tenant: Tenant) -> None:
    c = tenant.client
    created = c.post("/api/v1/contacts", json={"email": "Mia@Example.com", "first_name": "Mia", "country": "my",
                                               "tags": ["vip"]}, headers=tenant.headers())
    assert created.status_code == 201, created.text
    contact = created.json()
    assert contact["country"] == "MY" and contact["lifecycle_stage"] == "subscriber"
    detail = c.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers(Role.VIEWER)).json()
    assert detail["tags"] == ["vip"]
    patched = c.patch(f"/api/v1/contacts/{contact['id']}", json={"lifecycle_stage": "customer"},
                      headers=tenant.headers(Role.MARKETER))
    assert patched.status_code == 200 and patched.json()["lifecycle_stage"] == "customer"
    assert patched.json()["first_name"] == "Mia"
    assert c.delete(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers()).status_code == 204
    gone = c.get(f"/api/v1/contacts/{contact['id']}", headers=tenant.headers())
    assert gone.status_code == 404
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["status"] == 404


def test_duplicate_create_is_a_conflict(tenant: Tenant) -> None:
    body = {"email": "dup@example.com"}
    assert tenant.client.post("/api/v1/contacts", json=body, headers=tenant.headers()).status_code == 201
    again = tenant.client.post("/api/v1/contacts", json={"email": "DUP@example.com"}, headers=tenant.headers())
    assert again.status_code == 409 and "already" in again.json()["detail"]


def test_invalid_input_is_problem_json_422(tenant: Tenant) -> None:
    response = tenant.client.post("/api/v1/contacts", json={"email": "nope", "time_zone": "Mars/Base"},
                                  headers=tenant.headers())
    assert response.status_code == 422
    problem = response.json()
    assert problem["title"] == "Invalid input"
    assert {e["location"] for e in problem["errors"]} >= {"body.email", "body.time_zone"}


def test_malformed_json_and_bad_cursor_are_4xx(tenant: Tenant) -> None:
    raw = tenant.client.post("/api/v1/contacts", content=b"{not json", headers={
        **tenant.headers(), "content-type": "application/json"})
    assert raw.status_code == 422
    cursor = tenant.client.get("/api/v1/contacts?cursor=%%%", headers=tenant.headers())
    assert cursor.status_code == 422


def test_custom_fields_are_validated_on_write(session: Session, tenant: Tenant) -> None:
    custom_fields.create_definition(session, workspace_id=tenant.id, key="shoe_size", label="Shoe size",
                                    field_type=CustomFieldType.NUMBER)
    custom_fields.create_definition(session, workspace_id=tenant.id, key="tier", label="Tier",
                                    field_type=CustomFieldType.CHOICE, choices=["gold", "silver"])
    session.commit()
    ok = tenant.client.post("/api/v1/contacts", json={"email": "cf@example.com",
                                                       "custom_fields": {"shoe_size": "42", "tier": "gold"}},
                            headers=tenant.headers())
    assert ok.status_code == 201 and ok.json()["custom_fields"] == {"shoe_size": 42, "tier": "gold"}
    bad = tenant.client.patch(f"/api/v1/contacts/{ok.json()['id']}", json={"custom_fields": {"tier": "bronze"}},
                              headers=tenant.headers())
    assert bad.status_code == 422 and "tier" in bad.json()["detail"]
    unknown = tenant.client.patch(f"/api/v1/contacts/{ok.json()['id']}", json={"custom_fields": {"pet": "cat"}},
                                  headers=tenant.headers())
    assert unknown.status_code == 422
    kept = tenant.client.get(f"/api/v1/contacts/{ok.json()['id']}", headers=tenant.headers()).json()
    assert kept["custom_fields"] == {"shoe_size": 42, "tier": "gold"}


def test_cursor_pagination_walks_every_contact_once(tenant: Tenant) -> None:
    records = [{"email": f"p{i}@example.com"} for i in range(23)]
    result = tenant.client.put("/api/v1/contacts/batch", json={"contacts": records}, headers=tenant.headers())
    assert result.json()["created"] == 23
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = tenant.client.get("/api/v1/contacts", params=params, headers=tenant.headers()).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 23 and len(set(seen)) == 23 and seen == sorted(seen, reverse=True)


def test_batch_upsert_reports_rejects_and_keeps_good_rows(tenant: Tenant) -> None:
    response = tenant.client.put("/api/v1/contacts/batch", json={"contacts": [
        {"email": "a@example.com"}, {"email": "broken"}, {"external_id": "x", "lifecycle_stage": "vip"}]},
        headers=tenant.headers(Role.MARKETER))
    body = response.json()
    assert response.status_code == 200
    assert (body["created"], body["rejected"]) == (1, 2)
    assert body["ids"][0] is not None and body["ids"][1:] == [None, None]


def test_batch_over_limit_is_refused(tenant: Tenant) -> None:
    records = [{"email": f"x{i}@example.com"} for i in range(10_001)]
    response = tenant.client.put("/api/v1/contacts/batch", json={"contacts": records}, headers=tenant.headers())
    assert response.status_code == 422


def test_merge_moves_history_and_keeps_an_audit_trail(session: Session, tenant: Tenant) -> None:
    c = tenant.client
    survivor = c.post("/api/v1/contacts", json={"email": "keep@example.com", "tags": ["a"]},
                      headers=tenant.headers()).json()
    loser = c.post("/api/v1/contacts", json={"external_id": "L-1", "first_name": "Lou", "tags": ["a", "b"]},
                   headers=tenant.headers()).json()
    session.add(Order(workspace_id=tenant.id, external_id="o-1", contact_id=loser["id"], placed_at=utcnow(),
                      amount=10, currency="EUR"))
    session.commit()
    merged = c.post("/api/v1/contacts/merge", json={"survivor_id": survivor["id"], "loser_id": loser["id"]},
                    headers=tenant.headers())
    assert merged.status_code == 200, merged.text
    assert merged.json()["external_id"] == "L-1" and merged.json()["first_name"] == "Lou"
    detail = c.get(f"/api/v1/contacts/{survivor['id']}", headers=tenant.headers()).json()
    assert detail["tags"] == ["a", "b"]
    assert c.get(f"/api/v1/contacts/{loser['id']}", headers=tenant.headers()).status_code == 404
    session.expire_all()
    order = session.scalar(select(Order).where(Order.workspace_id == tenant.id, Order.external_id == "o-1"))
    assert order.contact_id == survivor["id"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.workspace_id == tenant.id,
                                                    AuditEntry.action == "contact.merged"))
    assert entry.details["loser"]["external_id"] == "L-1" and entry.details["moved"]["orders"] == 1


def test_ids_beyond_64_bits_are_422_not_500(tenant: Tenant) -> None:
    huge = 2**63
    assert tenant.client.get(f"/api/v1/contacts/{huge}", headers=tenant.headers()).status_code == 422
    merged = tenant.client.post("/api/v1/contacts/merge", json={"survivor_id": huge, "loser_id": 1},
                                headers=tenant.headers())
    assert merged.status_code == 422
    linked = tenant.client.post("/api/v1/contacts", json={"email": "big@example.com", "company_id": huge},
                                headers=tenant.headers())
    assert linked.status_code == 422
