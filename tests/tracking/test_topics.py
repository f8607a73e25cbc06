"""Topics through the API (roles, workspace scope, validation) and the campaign's topic."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import AuditEntry, Role
from tests.conftest import Tenant


def test_topic_crud_roles_and_scope(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    client = tenant.client
    body = {"key": "news", "name": "Newsletter", "description": "Monthly"}
    assert client.post("/api/v1/topics", json=body, headers=tenant.headers(Role.VIEWER)).status_code == 403
    created = client.post("/api/v1/topics", json=body, headers=tenant.headers(Role.MARKETER))
    assert created.status_code == 201, created.text
    topic = created.json()
    assert (topic["key"], topic["name"], topic["opted_out"]) == ("news", "Newsletter", 0)
    again = client.post("/api/v1/topics", json=body, headers=tenant.headers(Role.MARKETER))
    assert again.status_code == 409
    bad = client.post("/api/v1/topics", json={"key": "Not A Key", "name": "x"}, headers=tenant.headers(Role.MARKETER))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    listed = client.get("/api/v1/topics", headers=tenant.headers(Role.VIEWER)).json()
    assert [t["key"] for t in listed] == ["news"]
    assert client.get("/api/v1/topics", headers=other_tenant.headers(Role.VIEWER)).json() == []
    path = f"/api/v1/topics/{topic['id']}"
    assert client.patch(path, json={"name": "x"}, headers=other_tenant.headers(Role.MARKETER)).status_code == 404
    renamed = client.patch(path, json={"name": "News"}, headers=tenant.headers(Role.MARKETER))
    assert renamed.status_code == 200 and renamed.json()["name"] == "News"
    campaign = client.post("/api/v1/campaigns", json={"name": "Spring", "topic_id": topic["id"]},
                           headers=tenant.headers(Role.MARKETER))
    assert campaign.status_code == 201, campaign.text
    assert campaign.json()["topic_id"] == topic["id"]
    foreign = client.post("/api/v1/campaigns", json={"name": "Autumn", "topic_id": topic["id"]},
                          headers=other_tenant.headers(Role.MARKETER))
    assert foreign.status_code == 422
    cleared = client.patch(f"/api/v1/campaigns/{campaign.json()['id']}", json={"topic_id": None},
                           headers=tenant.headers(Role.MARKETER))
    assert cleared.status_code == 200 and cleared.json()["topic_id"] is None
    assert client.delete(path, headers=tenant.headers(Role.MARKETER)).status_code == 204
    assert client.get("/api/v1/topics", headers=tenant.headers(Role.VIEWER)).json() == []
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == tenant.id)))
    assert {"topic.created", "topic.updated", "topic.deleted"} <= actions
