"""The segment API: CRUD, positioned 422s, preview, validation, snapshots, CSV, metrics, roles, isolation."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from kempen.models import Role
from tests.conftest import Tenant
from tests.segments.test_service import MY, make_people

API = "/api/v1"


def post_segment(tenant: Tenant, name: str, text: str | None = None, rule: Any = None, role: Role = Role.MARKETER,
                 ) -> Any:
    body: dict[str, Any] = {"name": name}
    body.update({"text": text} if text is not None else {"rule": rule})
    return tenant.client.post(f"{API}/segments", json=body, headers=tenant.headers(role))


def test_segment_crud(tenant: Tenant) -> None:
    c, h = tenant.client, tenant.headers(Role.MARKETER)
    created = post_segment(tenant, "Malaysia", MY)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["rule"] == {"type": "compare", "field": "country", "op": "=", "value": "MY"}
    assert body["rule_text"] == MY and body["description"] == ""
    assert post_segment(tenant, "Malaysia", 'country = "SG"').status_code == 409
    segment_id = body["id"]
    patched = c.patch(f"{API}/segments/{segment_id}", json={"description": "MY only", "text": 'country = "SG"'},
                      headers=h)
    assert patched.status_code == 200 and patched.json()["rule"]["value"] == "SG"
    assert patched.json()["description"] == "MY only"
    listed = c.get(f"{API}/segments", headers=tenant.headers(Role.VIEWER)).json()
    assert [s["name"] for s in listed] == ["Malaysia"]
    assert c.get(f"{API}/segments/{segment_id}", headers=tenant.headers(Role.VIEWER)).json()["rule_text"] == (
        'country = "SG"')
    assert c.delete(f"{API}/segments/{segment_id}", headers=h).status_code == 204
    assert c.get(f"{API}/segments/{segment_id}", headers=h).status_code == 404


def test_json_input_stores_the_same_rule_with_a_canonical_text(tenant: Tenant) -> None:
    from_text = post_segment(tenant, "t", 'country = "MY" and not tag "vip"').json()
    from_json = post_segment(tenant, "j", rule=from_text["rule"]).json()
    assert from_json["rule"] == from_text["rule"]
    again = tenant.client.post(f"{API}/segments/validate", json={"text": from_json["rule_text"]},
                               headers=tenant.headers(Role.VIEWER)).json()
    assert again["valid"] and again["rule"] == from_text["rule"]


def test_invalid_rules_are_422_with_positions(tenant: Tenant) -> None:
    response = post_segment(tenant, "bad", 'country = "MY" and order_count > "many"')
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error, *_] = response.json()["errors"]
    assert error["line"] == 1 and error["column"] > 19 and error["end_column"] >= error["column"]
    assert set(error) >= {"message", "line", "column", "end_column", "path"}
    bad_json = post_segment(tenant, "bad", rule={"type": "compare", "field": "country", "op": "≈"})
    assert bad_json.status_code == 422 and bad_json.json()["errors"][0]["path"] == "op"
    missing = post_segment(tenant, "bad", 'in_segment "nowhere"')
    assert missing.status_code == 422 and missing.json()["errors"][0]["column"] == 12
    both = tenant.client.post(f"{API}/segments", json={"name": "x", "text": MY, "rule": {"type": "tag", "name": "a"}},
                              headers=tenant.headers())
    assert both.status_code == 422


def test_cycles_are_422_naming_the_cycle(tenant: Tenant) -> None:
    a = post_segment(tenant, "a", MY).json()["id"]
    b = post_segment(tenant, "b", 'in_segment "a"').json()["id"]
    back = tenant.client.patch(f"{API}/segments/{a}", json={"text": 'in_segment "b"'}, headers=tenant.headers())
    assert back.status_code == 422 and "a → b → a" in back.json()["detail"]
    post_segment(tenant, "c", 'in_segment "b"')
    longer = tenant.client.patch(f"{API}/segments/{a}", json={"text": 'in_segment "c"'}, headers=tenant.headers())
    assert longer.status_code == 422 and "a → c → b → a" in longer.json()["detail"]
    refused = tenant.client.delete(f"{API}/segments/{a}", headers=tenant.headers())
    assert refused.status_code == 409 and "'b'" in refused.json()["detail"]
    assert tenant.client.delete(f"{API}/segments/{b}", headers=tenant.headers()).status_code == 409  # c uses b


def test_preview_saved_and_unsaved(session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    session.commit()
    viewer = tenant.headers(Role.VIEWER)
    unsaved = tenant.client.post(f"{API}/segments/preview", json={"text": MY, "sample_size": 2}, headers=viewer)
    assert unsaved.status_code == 200, unsaved.text
    body = unsaved.json()
    assert body["count"] == 4
    assert body["reachable"] == {"email": 1, "sms": 2, "push": 1, "ads": 1, "direct_mail": 1}
    assert [c["id"] for c in body["sample"]] == [people["dee"], people["cid"]]
    assert set(body["sample"][0]) == {"id", "first_name", "last_name", "email", "country"}
    segment_id = post_segment(tenant, "m", MY).json()["id"]
    saved = tenant.client.post(f"{API}/segments/{segment_id}/preview", headers=viewer).json()
    assert saved["count"] == 4 and len(saved["sample"]) == 4
    invalid = tenant.client.post(f"{API}/segments/preview", json={"text": "country ="}, headers=viewer)
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["line"] == 1


def test_validate_reports_errors_and_canonical_text(tenant: Tenant) -> None:
    viewer = tenant.headers(Role.VIEWER)
    cases: list[dict[str, Any]] = [{"text": "country ="}, {"text": ""}, {"text": 'country = "MY" and'},
                                   {"text": "orders.count(last 90x) > 1"}, {"rule": {"type": "compare"}},
                                   {"rule": "country"}, {}, {"text": MY, "rule": {"type": "tag", "name": "x"}},
                                   {"text": 'in_segment "missing"'}]
    for body in cases:
        response = tenant.client.post(f"{API}/segments/validate", json=body, headers=viewer)
        assert response.status_code == 200, (body, response.text)
        result = response.json()
        assert result["valid"] is False and result["errors"] and result["text"] is None, body
        assert all(set(e) == {"message", "line", "column", "end_column", "path"} for e in result["errors"])
    ok = tenant.client.post(f"{API}/segments/validate", json={"text": 'country   =  "MY"'}, headers=viewer).json()
    assert ok == {"valid": True, "errors": [], "text": MY,
                  "rule": {"type": "compare", "field": "country", "op": "=", "value": "MY"}}


_RULE_ALPHABET = st.sampled_from(list('()",=<>!. _-#\n') + ["and ", "or ", "not ", "country", "orders.count",
                                                             "in_segment", "last", "30d", "ago", "1", "\"MY\""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=80), st.lists(_RULE_ALPHABET, max_size=25).map("".join)))
def test_validate_never_fails_on_any_text(tenant: Tenant, text: str) -> None:
    response = tenant.client.post(f"{API}/segments/validate", json={"text": text},
                                  headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["valid"] == (not result["errors"])


def test_roles(tenant: Tenant) -> None:
    assert post_segment(tenant, "v", MY, role=Role.VIEWER).status_code == 403
    assert post_segment(tenant, "a", MY, role=Role.ANALYST).status_code == 403
    segment_id = post_segment(tenant, "m", MY).json()["id"]
    viewer = tenant.headers(Role.VIEWER)
    assert tenant.client.delete(f"{API}/segments/{segment_id}", headers=viewer).status_code == 403
    assert tenant.client.post(f"{API}/segments/{segment_id}/snapshots", headers=viewer).status_code == 403
    assert tenant.client.post(f"{API}/metrics/refresh", headers=viewer).status_code == 403
    assert tenant.client.post(f"{API}/lead-score-rules", json={"name": "x", "text": MY, "points": 1},
                              headers=viewer).status_code == 403
    assert tenant.client.post(f"{API}/segments/{segment_id}/preview", headers=viewer).status_code == 200
    assert tenant.client.get(f"{API}/segments/{segment_id}/members.csv", headers=viewer).status_code == 403
    assert tenant.client.get(f"{API}/segments/{segment_id}/members.csv",
                             headers=tenant.headers(Role.ANALYST)).status_code == 200


def test_workspace_isolation(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = post_segment(other_tenant, "theirs", MY).json()["id"]
    h = tenant.headers()
    for method, path in [("get", f"/segments/{theirs}"), ("patch", f"/segments/{theirs}"),
                         ("delete", f"/segments/{theirs}"), ("post", f"/segments/{theirs}/preview"),
                         ("get", f"/segments/{theirs}/members.csv"), ("post", f"/segments/{theirs}/snapshots"),
                         ("get", f"/segments/{theirs}/snapshots")]:
        kwargs: dict[str, Any] = {"json": {"description": "x"}} if method == "patch" else {}
        response = getattr(tenant.client, method)(f"{API}{path}", headers=h, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
    reach = post_segment(tenant, "mine", 'in_segment "theirs"')
    assert reach.status_code == 422 and "theirs" in reach.json()["errors"][0]["message"]
    snapshot = other_tenant.client.post(f"{API}/segments/{theirs}/snapshots", headers=other_tenant.headers()).json()
    assert tenant.client.get(f"{API}/snapshots/{snapshot['id']}/members", headers=h).status_code == 404
    assert tenant.client.get(f"{API}/segments", headers=h).json() == []


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_snapshots_and_csv(session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    session.commit()
    h = tenant.headers()
    segment_id = post_segment(tenant, "m", MY).json()["id"]
    snap = tenant.client.post(f"{API}/segments/{segment_id}/snapshots", json={"reason": "launch"}, headers=h)
    assert snap.status_code == 201 and snap.json()["member_count"] == 4 and snap.json()["reason"] == "launch"
    post = tenant.client.post(f"{API}/contacts", json={"email": "late@example.com", "country": "MY"}, headers=h)
    assert post.status_code == 201
    listed = tenant.client.get(f"{API}/segments/{segment_id}/snapshots", headers=h).json()
    assert [s["id"] for s in listed] == [snap.json()["id"]]
    page = tenant.client.get(f"{API}/snapshots/{snap.json()['id']}/members", params={"limit": 3}, headers=h).json()
    rest = tenant.client.get(f"{API}/snapshots/{snap.json()['id']}/members",
                             params={"cursor": page["next_cursor"]}, headers=h).json()
    frozen = [m["id"] for m in page["items"] + rest["items"]]
    assert rest["next_cursor"] is None and sorted(frozen) == sorted(v for k, v in people.items() if k != "eve")
    live = tenant.client.get(f"{API}/segments/{segment_id}/members.csv", headers=h)
    assert live.status_code == 200 and live.headers["content-type"].startswith("text/csv")
    assert len(_csv(live.text)) == 5 and _csv(live.text)[-1]["email"] == "late@example.com"
    snap_csv = _csv(tenant.client.get(f"{API}/snapshots/{snap.json()['id']}/members.csv", headers=h).text)
    assert [int(r["id"]) for r in snap_csv] == sorted(frozen)
    unsaved = tenant.client.post(f"{API}/segments/members.csv", json={"text": 'country = "SG"'}, headers=h)
    assert [r["first_name"] for r in _csv(unsaved.text)] == ["Eve"]
    assert tenant.client.post(f"{API}/segments/members.csv", json={"text": "x ="}, headers=h).status_code == 422


def _order(tenant: Tenant, external_id: str, contact_id: int, amount: str) -> None:
    response = tenant.client.post(f"{API}/orders", headers=tenant.headers(), json={
        "external_id": external_id, "contact_id": contact_id, "placed_at": "2025-04-01T09:30:00Z",
        "amount": amount, "currency": "MYR"})
    assert response.status_code == 201, response.text


def test_metrics_refresh_feeds_order_count_rfm_and_lead_scores(session: Session, tenant: Tenant) -> None:
    people = make_people(session, tenant.id)
    session.commit()
    _order(tenant, "o1", people["ann"], "10")
    _order(tenant, "o2", people["ann"], "30")
    _order(tenant, "o3", people["bob"], "5")
    h = tenant.headers()
    rule = tenant.client.post(f"{API}/lead-score-rules", json={"name": "buyers", "text": "order_count >= 1",
                                                               "points": 10}, headers=h)
    assert rule.status_code == 201, rule.text
    patched = tenant.client.patch(f"{API}/lead-score-rules/{rule.json()['id']}", json={"points": 15}, headers=h)
    assert patched.status_code == 200 and patched.json()["points"] == 15
    refreshed = tenant.client.post(f"{API}/metrics/refresh", headers=tenant.headers(Role.MARKETER))
    assert refreshed.status_code == 200 and refreshed.json()["contacts"] >= 2

    def count(text: str) -> int:
        response = tenant.client.post(f"{API}/segments/preview", json={"text": text}, headers=h)
        assert response.status_code == 200, response.text
        return int(response.json()["count"])

    assert count("order_count >= 2") == 1
    assert count("order_count >= 1") == 2
    assert count("rfm is set") == 2
    assert count("lead_score >= 15") == 2
    assert [r["name"] for r in tenant.client.get(f"{API}/lead-score-rules", headers=h).json()] == ["buyers"]
    assert tenant.client.delete(f"{API}/lead-score-rules/{rule.json()['id']}", headers=h).status_code == 204
    bad = tenant.client.post(f"{API}/lead-score-rules", json={"name": "x", "text": "order_count >", "points": 1},
                             headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["line"] == 1
