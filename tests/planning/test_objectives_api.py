"""Objectives over HTTP: viewers read, marketers write, other workspaces see 404, errors are problem+json."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kempen.models import Role
from tests.campaigns.conftest import make_world
from tests.conftest import Tenant

API = "/api/v1"
PROBLEM = "application/problem+json"
GOAL = {"metric": "conversions", "baseline": "10", "target": "200", "deadline": "2100-01-31",
        "relevance": "Spring is our biggest season"}


def call(tenant: Tenant, method: str, path: str, role: Role = Role.MARKETER, **kwargs: Any) -> Any:
    return tenant.client.request(method, f"{API}{path}", headers=tenant.headers(role), **kwargs)


def campaign_of(session: Session, tenant: Tenant) -> int:
    world = make_world(session, tenant.id, tenant.workspace.slug)
    created = call(tenant, "POST", "/campaigns", json={"name": "Spring", "segment_id": world.segment_id})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_marketers_add_and_remove_viewers_read(session: Session, tenant: Tenant) -> None:
    cid = campaign_of(session, tenant)
    path = f"/campaigns/{cid}/objectives"
    assert call(tenant, "POST", path, Role.VIEWER, json=GOAL).status_code == 403
    assert call(tenant, "POST", path, Role.ANALYST, json=GOAL).status_code == 403
    added = call(tenant, "POST", path, json=GOAL)
    assert added.status_code == 201, added.text
    body = added.json()
    assert (body["metric"], body["target"], body["verdict"], body["current"]) == ("conversions", "200",
                                                                                 "not_started", None)
    assert body["sentence"] == "Not started: the target is 200 conversions by 31 January 2100."
    assert body["warnings"] == ["The target is more than 10× the baseline: is it achievable?"]
    listed = call(tenant, "GET", path, Role.VIEWER)
    assert listed.status_code == 200 and [o["id"] for o in listed.json()] == [body["id"]]
    patched = call(tenant, "PATCH", f"{path}/{body['id']}", json={"target": "50"})
    assert patched.status_code == 200 and patched.json()["target"] == "50" and patched.json()["warnings"] == []
    assert call(tenant, "PATCH", f"{path}/{body['id']}", Role.VIEWER, json={"target": "60"}).status_code == 403
    assert call(tenant, "DELETE", f"{path}/{body['id']}", Role.VIEWER).status_code == 403
    assert call(tenant, "DELETE", f"{path}/{body['id']}").status_code == 204
    assert call(tenant, "GET", path, Role.VIEWER).json() == []


def test_bad_objectives_are_problems(session: Session, tenant: Tenant) -> None:
    path = f"/campaigns/{campaign_of(session, tenant)}/objectives"
    for body, detail in (({**GOAL, "deadline": "2001-01-01"}, "is in the past"),
                         ({**GOAL, "metric": "open_rate", "baseline": "0.2", "target": "25"}, "fraction"),
                         ({**GOAL, "target": "10"}, "equals the baseline")):
        refused = call(tenant, "POST", path, json=body)
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
        assert detail in refused.json()["detail"]
    named = call(tenant, "POST", path, json={**GOAL, "metric": "named_conversion"})
    assert named.status_code == 422 and "conversion_name" in named.text
    unknown = call(tenant, "POST", path, json={**GOAL, "metric": "happiness"})
    assert unknown.status_code == 422 and unknown.headers["content-type"] == PROBLEM


def test_other_workspaces_get_404(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    cid = campaign_of(session, tenant)
    added = call(tenant, "POST", f"/campaigns/{cid}/objectives", json=GOAL).json()
    assert call(other_tenant, "GET", f"/campaigns/{cid}/objectives", Role.VIEWER).status_code == 404
    assert call(other_tenant, "POST", f"/campaigns/{cid}/objectives", json=GOAL).status_code == 404
    gone = call(other_tenant, "DELETE", f"/campaigns/{cid}/objectives/{added['id']}")
    assert gone.status_code == 404 and gone.headers["content-type"] == PROBLEM
    assert len(call(tenant, "GET", f"/campaigns/{cid}/objectives", Role.VIEWER).json()) == 1


def test_submit_needs_an_objective_over_http(session: Session, tenant: Tenant) -> None:
    cid = campaign_of(session, tenant)
    html = "<html><body><p>Hi {{ first_name | default('there') }}</p></body></html>"
    call(tenant, "POST", f"/campaigns/{cid}/messages",
         json={"channel": "email", "variants": [{"subject": "Hi", "html": html}]})
    refused = call(tenant, "POST", f"/campaigns/{cid}/submit")
    assert refused.status_code == 409
    assert refused.json()["errors"] == [{"message": "Add at least one measurable objective."}]
    call(tenant, "POST", f"/campaigns/{cid}/objectives", json=GOAL)
    assert call(tenant, "POST", f"/campaigns/{cid}/submit").json()["status"] == "in_review"
