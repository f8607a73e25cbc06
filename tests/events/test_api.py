"""The events API: batch ingestion over HTTP, limits, roles, isolation and the contact timeline."""

from __future__ import annotations

from typing import Any

from kempen.models import Role
from tests.conftest import Tenant


def _contact(tenant: Tenant, email: str) -> int:
    response = tenant.client.post("/api/v1/contacts", json={"email": email}, headers=tenant.headers())
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _send(tenant: Tenant, events: list[Any], role: Role = Role.MARKETER) -> Any:
    return tenant.client.post("/api/v1/events/batch", json={"events": events}, headers=tenant.headers(role))


def test_batch_is_idempotent_across_calls_and_shows_on_the_timeline(tenant: Tenant) -> None:
    contact = _contact(tenant, "ev@example.com")
    events = [{"name": "app_open", "contact_id": contact, "idempotency_key": f"k{i}",
               "occurred_at": f"2025-02-0{i + 1}T08:00:00+01:00", "properties": {"n": i}} for i in range(3)]
    first = _send(tenant, events + [events[0]])
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 3, "duplicates": 1, "rejected": 0, "errors": []}
    again = _send(tenant, events)
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 3
    timeline = tenant.client.get(f"/api/v1/contacts/{contact}/events", headers=tenant.headers(Role.VIEWER))
    assert timeline.status_code == 200
    items = timeline.json()["items"]
    assert [e["properties"]["n"] for e in items] == [2, 1, 0]
    assert items[0]["occurred_at"].startswith("2025-02-03T07:00:00")
    by_name = tenant.client.get("/api/v1/events", params={"name": "app_open", "contact_id": contact},
                                headers=tenant.headers(Role.VIEWER)).json()
    assert len(by_name["items"]) == 3 and by_name["next_cursor"] is None


def test_bad_rows_are_refused_while_good_rows_land(tenant: Tenant) -> None:
    contact = _contact(tenant, "mixed@example.com")
    response = _send(tenant, [{"name": "ok", "contact_email": "mixed@example.com"},
                              {"name": "bad", "contact_id": contact, "occurred_at": "soon"},
                              {"name": "bad", "contact_email": "nobody@example.com"}])
    body = response.json()
    assert response.status_code == 200 and (body["accepted"], body["rejected"]) == (1, 2)
    assert [e["index"] for e in body["errors"]] == [1, 2]


def test_malformed_bodies_and_oversized_batches_are_problem_json(tenant: Tenant) -> None:
    headers = {**tenant.headers(Role.MARKETER), "content-type": "application/json"}
    for raw in (b"{nope", b"[]", b'{"events": {}}', b'{"events": [], "extra": 1}'):
        response = tenant.client.post("/api/v1/events/batch", content=raw, headers=headers)
        assert response.status_code == 422, raw
        assert response.headers["content-type"] == "application/problem+json"
    too_many = _send(tenant, [{"name": "x", "contact_id": 1}] * 10_001)
    assert too_many.status_code in (413, 422) and too_many.headers["content-type"] == "application/problem+json"
    assert "10,000" in too_many.json()["detail"]


def test_viewers_cannot_write_and_workspaces_are_isolated(tenant: Tenant, other_tenant: Tenant) -> None:
    foreign = _contact(other_tenant, "theirs@example.com")
    assert _send(tenant, [], role=Role.VIEWER).status_code == 403
    assert _send(tenant, [], role=Role.ANALYST).status_code == 403
    attached = _send(tenant, [{"name": "x", "contact_id": foreign}, {"name": "x", "contact_email": "theirs@example.com"}])
    assert attached.json()["accepted"] == 0 and attached.json()["rejected"] == 2
    assert "unknown contact" in attached.json()["errors"][0]["reason"]
    assert _send(other_tenant, [{"name": "secret", "contact_id": foreign}]).json()["accepted"] == 1
    read = tenant.client.get(f"/api/v1/contacts/{foreign}/events", headers=tenant.headers())
    assert read.status_code == 404
    listed = tenant.client.get("/api/v1/events", params={"contact_id": foreign}, headers=tenant.headers()).json()
    assert listed["items"] == []


def test_the_batch_endpoint_is_documented(tenant: Tenant) -> None:
    spec = tenant.client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/events/batch"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["events"]["maxItems"] == 10_000
    assert "idempotency_key" in schema["properties"]["events"]["items"]["properties"]
