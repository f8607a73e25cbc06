"""The sending API: roles, launch and its refusals, schedule, pause/resume/cancel, progress, deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from kempen.kit.clock import utcnow
from kempen.models import Role
from tests.conftest import Tenant
from tests.delivery.conftest import add_contacts, configure_sending, make_campaign

pytestmark = pytest.mark.usefixtures("parked")

API = "/api/v1/campaigns"


def test_launch_progress_and_deliveries(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    configure_sending(session, tenant.id)
    add_contacts(session, tenant.id, 12)
    built = make_campaign(session, tenant.id, splits=(50, 50))
    client = tenant.client
    url = f"{API}/{built.campaign_id}"
    assert client.post(url + "/launch", headers=tenant.headers(Role.ANALYST)).status_code == 403
    assert client.post(url + "/launch", headers=other_tenant.headers(Role.ADMIN)).status_code == 404
    response = client.post(url + "/launch", headers=tenant.headers(Role.MARKETER))
    assert response.status_code == 200, response.text
    assert response.json() | {"snapshot_id": 0} == {
        "campaign_id": built.campaign_id, "status": "running", "snapshot_id": 0, "audience": 12, "holdout": 0,
        "deliveries": 12, "batches": 1, "winner_rest": 0, "winner_decide_at": None}
    again = client.post(url + "/launch", headers=tenant.headers(Role.MARKETER))
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")

    progress = client.get(url + "/progress", headers=tenant.headers(Role.VIEWER))
    assert progress.status_code == 200
    body = progress.json()
    assert body["deliveries"] == 12 and body["by_status"]["pending"] == 12 and len(body["variants"]) == 2
    assert client.get(url + "/progress", headers=other_tenant.headers(Role.ADMIN)).status_code == 404

    first = client.get(url + "/deliveries?limit=5", headers=tenant.headers(Role.VIEWER)).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    rest = client.get(url + f"/deliveries?limit=50&cursor={first['next_cursor']}",
                      headers=tenant.headers(Role.VIEWER)).json()
    assert len(rest["items"]) == 7 and rest["next_cursor"] is None
    assert {d["status"] for d in rest["items"]} == {"pending"}
    assert client.get(url + "/deliveries?status=sent", headers=tenant.headers(Role.VIEWER)).json()["items"] == []
    assert client.get(url + "/deliveries?status=nonsense", headers=tenant.headers(Role.VIEWER)).status_code == 422
    assert client.get(url + "/deliveries", headers=other_tenant.headers(Role.ADMIN)).status_code == 404


def test_pause_resume_cancel_by_api(session: Session, tenant: Tenant) -> None:
    configure_sending(session, tenant.id)
    add_contacts(session, tenant.id, 3)
    built = make_campaign(session, tenant.id)
    url, marketer = f"{API}/{built.campaign_id}", tenant.headers(Role.MARKETER)
    client = tenant.client
    assert client.post(url + "/pause", headers=marketer).status_code == 409  # a draft cannot pause
    assert client.post(url + "/launch", headers=marketer).status_code == 200
    assert client.post(url + "/pause", headers=tenant.headers(Role.VIEWER)).status_code == 403
    assert client.post(url + "/pause", headers=marketer).json()["status"] == "paused"
    assert client.post(url + "/resume", headers=marketer).json()["status"] == "running"
    assert client.post(url + "/cancel", headers=marketer).json()["status"] == "cancelled"
    body = client.get(url + "/progress", headers=marketer).json()
    assert body["by_status"]["cancelled"] == 3 and body["status"] == "cancelled"
    assert client.post(url + "/resume", headers=marketer).status_code == 409


def test_schedule_by_api(session: Session, tenant: Tenant) -> None:
    configure_sending(session, tenant.id)
    built = make_campaign(session, tenant.id)
    url, marketer = f"{API}/{built.campaign_id}/schedule", tenant.headers(Role.MARKETER)
    client = tenant.client
    past = (utcnow() - timedelta(hours=1)).isoformat()
    refused = client.post(url, json={"at": past}, headers=marketer)
    assert refused.status_code == 422 and "future" in refused.json()["detail"]
    assert client.post(url, json={"when": past}, headers=marketer).status_code == 422
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = client.post(url, json={"at": at.isoformat()}, headers=marketer)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "scheduled" and response.json()["scheduled_at"].startswith(
        at.strftime("%Y-%m-%dT%H:%M:%S"))
