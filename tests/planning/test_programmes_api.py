"""Programmes over HTTP: roles, workspaces kept apart, campaigns assigned, objectives and the roll-up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.models import Role
from tests.conftest import Tenant
from tests.planning.test_objectives_api import GOAL, PROBLEM, call, campaign_of


def test_programme_lifecycle_by_role(session: Session, tenant: Tenant) -> None:
    body = {"name": "Spring relaunch", "budget": "1500.00", "starts_on": "2100-03-01", "ends_on": "2100-05-31"}
    assert call(tenant, "POST", "/programmes", Role.VIEWER, json=body).status_code == 403
    created = call(tenant, "POST", "/programmes", json=body)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert created.json()["rollup"]["budget_left"] == "1500.00"
    assert call(tenant, "POST", "/programmes", json=body).status_code == 409
    bad = call(tenant, "POST", "/programmes", json={**body, "name": "Later", "ends_on": "2100-01-01"})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    cid = campaign_of(session, tenant)
    assert call(tenant, "POST", f"/programmes/{pid}/campaigns", Role.VIEWER,
                json={"campaign_id": cid}).status_code == 403
    joined = call(tenant, "POST", f"/programmes/{pid}/campaigns", json={"campaign_id": cid})
    assert joined.status_code == 200 and [c["name"] for c in joined.json()["campaigns"]] == ["Spring"]
    goal = call(tenant, "POST", f"/programmes/{pid}/objectives", json=GOAL)
    assert goal.status_code == 201 and goal.json()["programme_id"] == pid and goal.json()["campaign_id"] is None
    detail = call(tenant, "GET", f"/programmes/{pid}", Role.VIEWER).json()
    assert [o["id"] for o in detail["objectives"]] == [goal.json()["id"]]
    listed = call(tenant, "GET", "/programmes", Role.VIEWER).json()["items"]
    assert [(p["name"], p["campaigns"]) for p in listed] == [("Spring relaunch", 1)]
    renamed = call(tenant, "PATCH", f"/programmes/{pid}", json={"name": "Spring 2100", "budget": None})
    assert renamed.status_code == 200 and renamed.json()["budget"] is None
    assert call(tenant, "PATCH", f"/programmes/{pid}", Role.VIEWER, json={"name": "x"}).status_code == 403
    goal_path = f"/programmes/{pid}/objectives/{goal.json()['id']}"
    assert call(tenant, "PATCH", goal_path, Role.ANALYST, json={"target": "60"}).status_code == 403
    moved = call(tenant, "PATCH", goal_path, json={"target": "60", "relevance": "Pays for the relaunch"})
    assert moved.status_code == 200, moved.text
    assert float(moved.json()["target"]) == 60 and moved.json()["relevance"] == "Pays for the relaunch"
    same = call(tenant, "PATCH", goal_path, json={"target": moved.json()["baseline"]})
    assert same.status_code == 422 and same.headers["content-type"] == PROBLEM
    assert call(tenant, "PATCH", f"/programmes/{pid}/objectives/999999", json={"target": "5"}).status_code == 404
    assert call(tenant, "DELETE", goal_path).status_code == 204
    assert call(tenant, "DELETE", f"/programmes/{pid}/campaigns/{cid}").status_code == 204
    assert call(tenant, "DELETE", f"/programmes/{pid}/campaigns/{cid}").status_code == 404
    assert call(tenant, "DELETE", f"/programmes/{pid}", Role.VIEWER).status_code == 403
    assert call(tenant, "DELETE", f"/programmes/{pid}").status_code == 204
    assert call(tenant, "GET", f"/programmes/{pid}", Role.VIEWER).status_code == 404


def test_other_workspaces_get_404(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    pid = call(tenant, "POST", "/programmes", json={"name": "Mine"}).json()["id"]
    cid = campaign_of(session, other_tenant)
    for method, path, body in (("GET", f"/programmes/{pid}", None), ("PATCH", f"/programmes/{pid}", {"name": "x"}),
                               ("DELETE", f"/programmes/{pid}", None),
                               ("POST", f"/programmes/{pid}/objectives", GOAL),
                               ("POST", f"/programmes/{pid}/campaigns", {"campaign_id": cid})):
        answer = call(other_tenant, method, path, json=body)
        assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM, (method, path)
    # Nor can a campaign of another workspace join mine.
    assert call(tenant, "POST", f"/programmes/{pid}/campaigns", json={"campaign_id": cid}).status_code == 404
