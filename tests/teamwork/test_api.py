"""The teamwork and audit API: each role can do only what it may; other workspaces see nothing."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from kempen.models import CampaignStatus, Role
from tests.conftest import Tenant
from tests.teamwork.conftest import Team


def test_tasks_by_role(tenant: Tenant, api_team: Team) -> None:
    client, campaign = tenant.client, api_team.world.campaign()
    url = f"/api/v1/campaigns/{campaign.id}/tasks"
    body = {"title": "Write copy", "assignee_id": api_team.user(Role.MANAGER).id, "due_on": "2020-01-01"}
    for role in (Role.VIEWER, Role.ANALYST):
        refused = client.post(url, json=body, headers=tenant.headers(role))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    created = client.post(url, json=body, headers=tenant.headers(Role.MARKETER))
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["overdue"] is True and task["status"] == "todo"
    listed = client.get(url, headers=tenant.headers(Role.VIEWER))
    assert [t["id"] for t in listed.json()] == [task["id"]]
    overdue = client.get("/api/v1/tasks", params={"overdue": "true"}, headers=tenant.headers(Role.VIEWER))
    assert [t["id"] for t in overdue.json()] == [task["id"]]
    # an API key is never the assignee: below marketer it cannot change the task at all
    patch = client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "done"}, headers=tenant.headers(Role.VIEWER))
    assert patch.status_code == 403
    done = client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "done"}, headers=tenant.headers(Role.MARKETER))
    assert done.json()["status"] == "done" and done.json()["overdue"] is False
    assert client.delete(f"/api/v1/tasks/{task['id']}", headers=tenant.headers(Role.ANALYST)).status_code == 403
    assert client.delete(f"/api/v1/tasks/{task['id']}", headers=tenant.headers(Role.MARKETER)).status_code == 204


def test_task_input_errors_are_problems(tenant: Tenant, api_team: Team, other_tenant: Tenant) -> None:
    client, campaign = tenant.client, api_team.world.campaign()
    url = f"/api/v1/campaigns/{campaign.id}/tasks"
    marketer = tenant.headers(Role.MARKETER)
    assert client.post(url, json={"title": ""}, headers=marketer).status_code == 422
    stranger = client.post(url, json={"title": "x", "assignee_id": other_tenant.owner_id}, headers=marketer)
    assert stranger.status_code == 422 and "member of this workspace" in stranger.json()["detail"]
    foreign = client.get(url, headers=other_tenant.headers(Role.VIEWER))
    assert foreign.status_code == 404


def test_comments_by_role_and_mentions(tenant: Tenant, api_team: Team) -> None:
    client, campaign = tenant.client, api_team.world.campaign()
    url = f"/api/v1/campaigns/{campaign.id}/comments"
    handle = api_team.user(Role.MANAGER).email.split("@")[0]
    assert client.post(url, json={"body": "hi"}, headers=tenant.headers(Role.VIEWER)).status_code == 403
    created = client.post(url, json={"body": f"@{handle} ready?"}, headers=tenant.headers(Role.ANALYST))
    assert created.status_code == 201
    assert created.json()["mentioned_user_ids"] == [api_team.user(Role.MANAGER).id]
    comment_id = created.json()["id"]
    other_key = client.patch(f"/api/v1/comments/{comment_id}", json={"body": "x"},
                             headers=tenant.headers(Role.ADMIN))
    assert other_key.status_code == 403  # only its author edits a comment
    edited = client.patch(f"/api/v1/comments/{comment_id}", json={"body": "ready now?"},
                          headers=tenant.headers(Role.ANALYST))
    assert edited.json()["body"] == "ready now?" and edited.json()["edited_at"]
    assert len(client.get(url, headers=tenant.headers(Role.VIEWER)).json()) == 1


def test_review_decisions_go_into_the_thread(tenant: Tenant, api_team: Team) -> None:
    client = tenant.client
    campaign = api_team.world.campaign(status=CampaignStatus.IN_REVIEW)
    base = f"/api/v1/campaigns/{campaign.id}"
    assert client.post(base + "/approve", json={"comment": "ok"},
                       headers=tenant.headers(Role.MARKETER)).status_code == 403
    approved = client.post(base + "/approve", json={"comment": "Looks great"}, headers=tenant.headers(Role.MANAGER))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    changes = client.post(base + "/request-changes", json={"comment": "One more look"},
                          headers=tenant.headers(Role.MANAGER))
    assert changes.status_code == 200 and changes.json()["status"] == "draft"
    thread = client.get(base + "/comments", headers=tenant.headers(Role.VIEWER)).json()
    assert [(c["kind"], c["body"]) for c in thread] == [("approved", "Looks great"),
                                                        ("changes_requested", "One more look")]


def test_audit_log_for_admins_with_filters_and_csv(session: Session, tenant: Tenant, api_team: Team,
                                                   other_tenant: Tenant) -> None:
    client, campaign = tenant.client, api_team.world.campaign()
    client.post(f"/api/v1/campaigns/{campaign.id}/tasks", json={"title": "=HYPERLINK(1)"},
                headers=tenant.headers(Role.MARKETER))
    for role in (Role.VIEWER, Role.ANALYST, Role.MARKETER, Role.MANAGER):
        assert client.get("/api/v1/audit", headers=tenant.headers(role)).status_code == 403
    page = client.get("/api/v1/audit", params={"entity_type": "task"}, headers=tenant.headers(Role.ADMIN))
    assert page.status_code == 200
    items = page.json()["items"]
    assert [i["action"] for i in items] == ["task.created"]
    prefix = client.get("/api/v1/audit", params={"action": "task.", "limit": 1}, headers=tenant.headers(Role.ADMIN))
    assert len(prefix.json()["items"]) == 1
    by_actor = client.get("/api/v1/audit", params={"actor": items[0]["actor"], "entity_type": "task"},
                          headers=tenant.headers(Role.ADMIN))
    assert len(by_actor.json()["items"]) == 1
    future = client.get("/api/v1/audit", params={"since": "2999-01-01"}, headers=tenant.headers(Role.ADMIN))
    assert future.json()["items"] == []
    far = client.get("/api/v1/audit", params={"until": "9999-12-31", "entity_type": "task"},
                     headers=tenant.headers(Role.ADMIN))
    assert far.status_code == 200 and len(far.json()["items"]) == 1
    backwards = client.get("/api/v1/audit", params={"since": "2026-02-01", "until": "2026-01-01"},
                           headers=tenant.headers(Role.ADMIN))
    assert backwards.status_code == 422
    exported = client.get("/api/v1/audit", params={"entity_type": "task", "format": "csv"},
                          headers=tenant.headers(Role.ADMIN))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["task.created"]
    assert "HYPERLINK" in rows[0]["details"] and not rows[0]["details"].startswith("=")
    foreign = client.get("/api/v1/audit", params={"entity_type": "task"}, headers=other_tenant.headers(Role.ADMIN))
    assert foreign.json()["items"] == []


def test_nulls_clear_the_assignee_and_due_date_but_not_the_title_or_status(tenant: Tenant, api_team: Team) -> None:
    client, campaign = tenant.client, api_team.world.campaign()
    marketer = tenant.headers(Role.MARKETER)
    task = client.post(f"/api/v1/campaigns/{campaign.id}/tasks", headers=marketer, json={
        "title": "Banner", "description": "big", "assignee_id": api_team.user(Role.VIEWER).id,
        "due_on": "2030-01-01"}).json()
    patched = client.patch(f"/api/v1/tasks/{task['id']}", headers=marketer, json={
        "title": None, "status": None, "assignee_id": None, "due_on": None, "description": None})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["title"], body["status"], body["assignee_id"], body["due_on"], body["description"]) == (
        "Banner", "todo", None, None, "")
