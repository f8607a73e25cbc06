"""The universal holdout through the API: roles, enable/change/end, problem+json refusals, report, OpenAPI."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.experiments.universal_holdout import get_universal_holdout
from kempen.kit.clock import utcnow
from kempen.models import Contact, Order, Role
from tests.conftest import Tenant, unique

API = "/api/v1"
SETTINGS = f"{API}/settings/universal-holdout"
REPORT = f"{API}/reports/universal-holdout"


def _problem(answer: object, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body: dict[str, object] = answer.json()  # type: ignore[attr-defined]
    return body


def _contacts(session: Session, workspace_id: int, count: int) -> None:
    for _ in range(count):
        email = f"{unique('api')}@example.com"
        session.add(Contact(workspace_id=workspace_id, email=email, email_normalized=email,
                            created_at=utcnow() - timedelta(days=3)))
    session.commit()


def test_settings_roles_and_life_cycle(tenant: Tenant, session: Session) -> None:
    c = tenant.client
    _contacts(session, tenant.id, 300)
    got = c.get(SETTINGS, headers=tenant.headers(Role.VIEWER))
    assert got.status_code == 200, got.text
    assert got.json()["state"] == "off" and got.json()["held_out_now"] == 0 and got.json()["contacts_now"] == 300
    _problem(c.put(SETTINGS, json={"percent": "5"}, headers=tenant.headers(Role.MARKETER)), 403)
    _problem(c.get(SETTINGS), 401)
    until = (utcnow() + timedelta(days=90)).isoformat()
    on = c.put(SETTINGS, json={"percent": "10", "ends_at": until}, headers=tenant.headers(Role.ADMIN))
    assert on.status_code == 200, on.text
    body = on.json()
    assert body["state"] == "running" and Decimal(body["percent"]) == 10 and body["seed"] > 0
    assert 10 < body["held_out_now"] < 60 and body["updated_by"].startswith("api_key:")
    refused = _problem(c.put(SETTINGS, json={"percent": "15"}, headers=tenant.headers()), 409)
    assert "cannot change while the holdout is running" in str(refused["detail"])
    for bad in ({"percent": "30"}, {"percent": "abc"}, {"ends_at": "soon"}, {"unknown": 1}):
        _problem(c.put(SETTINGS, json=bad, headers=tenant.headers()), 422)
    longer = c.put(SETTINGS, json={"ends_at": None}, headers=tenant.headers())
    assert longer.status_code == 200 and longer.json()["ends_at"] is None
    _problem(c.post(f"{SETTINGS}/end", headers=tenant.headers(Role.MARKETER)), 403)
    ended = c.post(f"{SETTINGS}/end", headers=tenant.headers())
    assert ended.status_code == 200 and ended.json()["state"] == "ended" and ended.json()["held_out_now"] == 0
    _problem(c.post(f"{SETTINGS}/end", headers=tenant.headers()), 409)


def test_report_through_the_api(tenant: Tenant, session: Session) -> None:
    c = tenant.client
    off = c.get(REPORT, headers=tenant.headers(Role.VIEWER))
    assert off.status_code == 200 and off.json()["state"] == "off" and off.json()["conversion"] is None
    _contacts(session, tenant.id, 40)
    assert c.put(SETTINGS, json={"percent": "20"}, headers=tenant.headers()).status_code == 200
    row = get_universal_holdout(session, workspace_id=tenant.id)
    session.refresh(row)
    contact = session.query(Contact).filter(Contact.workspace_id == tenant.id).first()
    assert contact is not None
    session.add(Order(workspace_id=tenant.id, external_id=unique("o"), contact_id=contact.id,
                      placed_at=utcnow(), amount=Decimal("25"), currency="EUR"))
    session.commit()
    report = c.get(REPORT, params={"confidence": 0.9}, headers=tenant.headers(Role.VIEWER))
    assert report.status_code == 200, report.text
    data = report.json()
    assert data["state"] == "running" and data["confidence"] == 0.9 and data["currency"] == "EUR"
    assert data["held_out"]["contacts"] + data["exposed"]["contacts"] == 40
    assert data["held_out"]["converted"] + data["exposed"]["converted"] == 1
    assert data["held_out"]["revenue"] + data["exposed"]["revenue"] == 25.0
    assert data["caption"].startswith("Not enough data yet")
    _problem(c.get(REPORT, params={"confidence": 2}, headers=tenant.headers()), 422)


def test_openapi_documents_the_routes(tenant: Tenant) -> None:
    spec = tenant.client.get("/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/settings/universal-holdout"])
    assert "post" in paths["/api/v1/settings/universal-holdout/end"]
    assert "get" in paths["/api/v1/reports/universal-holdout"]
    schemas = spec["components"]["schemas"]
    assert {"UniversalHoldoutOut", "UniversalHoldoutSet", "UniversalLiftOut", "LiftOut"} <= set(schemas)
