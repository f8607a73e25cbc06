"""POST/GET /api/v1/conversions on a real database: single, batch, retries, contacts, click ids, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Conversion, Role
from kempen.tracking.click_ids import make_click_id
from tests.conftest import Tenant, unique
from tests.web.conftest import add_orders, make_contact

URL = "/api/v1/conversions"


def click_id(workspace_id: int, contact_id: int, delivery_id: int = 501) -> str:
    return make_click_id(workspace_id=workspace_id, delivery_id=delivery_id, contact_id=contact_id,
                         campaign_id=7, variant_id=9)


def rows(session: Session, tenant: Tenant) -> list[Conversion]:
    session.expire_all()
    return list(session.scalars(select(Conversion).where(Conversion.workspace_id == tenant.id)
                                .order_by(Conversion.id)))


def post(tenant: Tenant, body: object, role: Role = Role.MARKETER) -> Any:
    return tenant.client.post(URL, json=body, headers=tenant.headers(role))


def test_a_single_conversion_by_email_is_stored_with_defaults(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    answer = tenant.client.post(URL, json={"email": "ADA@example.com", "value": "19.90", "name": "purchase",
                                           "properties": {"plan": "pro"}}, headers=tenant.headers(Role.MARKETER))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["contact_id"] == ada.id and body["currency"] == "EUR" and body["source"] == "api"
    assert Decimal(body["value"]) == Decimal("19.90") and body["delivery_id"] is None
    [row] = rows(session, tenant)
    assert (row.contact_id, row.name, row.value, row.properties) == (ada.id, "purchase", Decimal("19.90"),
                                                                      {"plan": "pro"})
    assert abs(row.occurred_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_click_id_sets_contact_and_delivery(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com", external_id="crm-1")
    answer = tenant.client.post(URL, json={"kmp": click_id(tenant.id, ada.id), "external_id": "crm-1"},
                                headers=tenant.headers(Role.MARKETER))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["contact_id"], answer.json()["delivery_id"]) == (ada.id, 501)


def test_a_retry_with_the_same_idempotency_key_answers_the_stored_conversion(session: Session,
                                                                             tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    body = {"contact_id": ada.id, "value": 5, "idempotency_key": "order-77"}
    first = tenant.client.post(URL, json=body, headers=tenant.headers(Role.MARKETER))
    again = tenant.client.post(URL, json={**body, "value": 6}, headers=tenant.headers(Role.MARKETER))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and Decimal(again.json()["value"]) == 5
    assert len(rows(session, tenant)) == 1


def test_a_batch_answers_each_item_and_stores_the_good_ones(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    add_orders(session, tenant.id, ada.id, 1, "B")
    items = [
        {"contact_id": ada.id, "idempotency_key": "k1", "value": 1},
        {"email": "nobody@example.com"},                                  # unknown contact
        {"contact_id": ada.id, "idempotency_key": "k1", "value": 2},       # repeated in the batch
        {"contact_id": ada.id, "value": "-3"},                             # negative value
        {"anonymous_id": "visitor-1", "order_id": "B-0", "currency": "usd"},
        {"contact_id": ada.id, "order_id": "no-such-order"},
    ]
    answer = tenant.client.post(URL, json={"conversions": items}, headers=tenant.headers(Role.MARKETER))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [i["status"] for i in result["items"]] == ["created", "error", "duplicate", "error", "created", "error"]
    assert (result["created"], result["duplicates"], result["rejected"]) == (2, 1, 3)
    assert result["items"][2]["id"] == result["items"][0]["id"]
    assert "No contact" in result["items"][1]["error"] and "value" in result["items"][3]["error"]
    stored = rows(session, tenant)
    assert len(stored) == 2
    [anonymous] = [row for row in stored if row.anonymous_id == "visitor-1"]
    assert anonymous.contact_id is None and anonymous.currency == "USD" and anonymous.order_id is not None
    again = tenant.client.post(URL, json={"conversions": items[:1]}, headers=tenant.headers(Role.MARKETER))
    first_id = result["items"][0]["id"]
    assert again.json()["items"][0] == {"index": 0, "status": "duplicate", "id": first_id, "error": None}


def test_a_batch_of_a_thousand_is_accepted_and_more_is_refused(session: Session, tenant: Tenant) -> None:
    items = [{"anonymous_id": f"v{n}", "value": n % 50, "idempotency_key": f"bulk-{n}"} for n in range(1000)]
    answer = tenant.client.post(URL, json={"conversions": items}, headers=tenant.headers(Role.MARKETER))
    assert answer.status_code == 200 and answer.json()["created"] == 1000
    too_many = tenant.client.post(URL, json={"conversions": items + items[:1]}, headers=tenant.headers(Role.MARKETER))
    assert too_many.status_code == 422
    assert too_many.headers["content-type"].startswith("application/problem+json")
    assert len(rows(session, tenant)) == 1000


def test_other_workspaces_contacts_and_click_ids_are_refused(session: Session, tenant: Tenant,
                                                             other_tenant: Tenant) -> None:
    theirs = make_contact(session, other_tenant.id, email="theirs@example.com")
    for body in ({"contact_id": theirs.id}, {"email": "theirs@example.com"},
                 {"kmp": click_id(other_tenant.id, theirs.id)}):
        answer = tenant.client.post(URL, json=body, headers=tenant.headers(Role.MARKETER))
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert rows(session, tenant) == [] and rows(session, other_tenant) == []


def test_forged_and_altered_click_ids_are_refused(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    genuine = click_id(tenant.id, ada.id)
    altered = genuine[:3] + ("A" if genuine[3] != "A" else "B") + genuine[4:]
    for token in (altered, "bm90LWEtdG9rZW4.c2lnbmF0dXJl", "x"):
        answer = tenant.client.post(URL, json={"kmp": token}, headers=tenant.headers(Role.MARKETER))
        assert answer.status_code == 422, token
    other = make_contact(session, tenant.id, email="other@example.com")
    mismatch = tenant.client.post(URL, json={"kmp": genuine, "contact_id": other.id},
                                  headers=tenant.headers(Role.MARKETER))
    assert mismatch.status_code == 422 and "another contact" in mismatch.json()["detail"]
    assert rows(session, tenant) == []


def test_bad_values_are_problem_json_and_never_500(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    bad = [
        {}, {"contact_id": ada.id, "currency": "euro"}, {"contact_id": ada.id, "value": "1e30"},
        {"contact_id": ada.id, "occurred_at": future}, {"contact_id": ada.id, "occurred_at": "2026-01-01T00:00:00"},
        {"contact_id": ada.id, "properties": {"blob": "x" * 10_000}}, {"contact_id": ada.id, "email": "a@b.example"},
        {"contact_id": ada.id, "unknown": 1}, {"contact_id": "1; drop table"}, {"contact_id": 2**70},
        {"contact_id": ada.id, "name": ""}, {"contact_id": ada.id, "order_id": 999_999_999},
        {"conversions": "nope"}, {"conversions": []}, {"email": "not an address"},
    ]
    for body in bad:
        answer = tenant.client.post(URL, json=body, headers=tenant.headers(Role.MARKETER))
        assert answer.status_code == 422, (body, answer.status_code, answer.text)
        assert answer.json()["detail"]
    assert tenant.client.post(URL, content=b"[1,2]", headers={**tenant.headers(Role.MARKETER),
                                                             "Content-Type": "application/json"}).status_code == 422
    assert rows(session, tenant) == []


def test_roles_writing_needs_a_marketer_reading_a_viewer(session: Session, tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    assert tenant.client.post(URL, json={"contact_id": ada.id}, headers=tenant.headers(Role.VIEWER)).status_code == 403
    assert tenant.client.post(URL, json={"contact_id": ada.id}).status_code == 401
    assert tenant.client.get(URL, headers=tenant.headers(Role.VIEWER)).status_code == 200


def test_the_list_pages_and_filters_within_the_workspace(session: Session, tenant: Tenant,
                                                         other_tenant: Tenant) -> None:
    ada = make_contact(session, tenant.id, email="ada@example.com")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    items = [{"contact_id": ada.id if n % 2 else None, "anonymous_id": None if n % 2 else f"v{n}",
              "name": "purchase" if n < 4 else "signup", "occurred_at": (start + timedelta(days=n)).isoformat()}
             for n in range(6)]
    items = [{k: v for k, v in item.items() if v is not None} for item in items]
    assert post(tenant, {"conversions": items}).json()["created"] == 6
    assert post(other_tenant, {"anonymous_id": unique("x")}).status_code == 201

    def listed(**params: Any) -> list[dict[str, Any]]:
        answer = tenant.client.get(URL, params=params, headers=tenant.headers(Role.VIEWER))
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    assert len(listed()) == 6
    assert [c["name"] for c in listed(name="signup")] == ["signup", "signup"]
    assert {c["contact_id"] for c in listed(contact_id=ada.id)} == {ada.id} and len(listed(contact_id=ada.id)) == 3
    window = listed(since="2026-03-02T00:00:00Z", until="2026-03-04T00:00:00+00:00")
    assert sorted(c["occurred_at"][:10] for c in window) == ["2026-03-02", "2026-03-03"]
    first = tenant.client.get(URL, params={"limit": 4}, headers=tenant.headers(Role.VIEWER)).json()
    rest = tenant.client.get(URL, params={"limit": 4, "cursor": first["next_cursor"]},
                             headers=tenant.headers(Role.VIEWER)).json()
    assert len(first["items"]) == 4 and len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert tenant.client.get(URL, params={"cursor": "garbage!"}, headers=tenant.headers(Role.VIEWER)).status_code == 422
    assert tenant.client.get(URL, params={"since": "yesterday"}, headers=tenant.headers(Role.VIEWER)).status_code == 422


def test_site_key_is_made_once_read_by_viewers_and_rotated_by_admins(session: Session, tenant: Tenant,
                                                                     other_tenant: Tenant) -> None:
    key_url = "/api/v1/settings/tracking/site-key"
    first = tenant.client.get(key_url, headers=tenant.headers(Role.VIEWER)).json()["site_key"]
    assert len(first) == 24 and first == tenant.client.get(key_url, headers=tenant.headers(Role.VIEWER)).json()["site_key"]
    assert first != other_tenant.client.get(key_url, headers=other_tenant.headers(Role.VIEWER)).json()["site_key"]
    refused = tenant.client.post(key_url + "/rotate", headers=tenant.headers(Role.MARKETER))
    assert refused.status_code == 403
    rotated = tenant.client.post(key_url + "/rotate", headers=tenant.headers(Role.ADMIN)).json()["site_key"]
    assert rotated != first and tenant.client.get(key_url, headers=tenant.headers(Role.VIEWER)).json()["site_key"] == rotated
