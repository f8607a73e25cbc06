"""The attribution API: path imports (CSV and JSON), results per model, own data, roles and tenancy."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from kempen.models import Role
from tests.attribution.conftest import T0, Shop, ago
from tests.conftest import Tenant

CSV = b"path,total_conversions,total_conversion_value,total_null\nc1 > c2,1,30,0\nc1,0,0,1\nc2 > c3,1,10,0\n"
BASE = "/api/v1/attribution"


def upload(tenant: Tenant, body: bytes = CSV, role: Role = Role.MARKETER, name: str = "Q1 paths") -> httpx.Response:
    return tenant.client.post(f"{BASE}/imports", headers=tenant.headers(role),
                              files={"file": ("paths.csv", body, "text/csv")}, data={"name": name})


def test_upload_list_results_delete(tenant: Tenant) -> None:
    created = upload(tenant)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["filename"], body["paths"], body["total_conversions"], body["total_null"]) == (
        "Q1 paths", "paths.csv", 3, 2.0, 1)
    viewer = tenant.headers(Role.VIEWER)
    listed = tenant.client.get(f"{BASE}/imports", headers=viewer).json()
    assert [i["id"] for i in listed["items"]] == [body["id"]]
    results = tenant.client.get(f"{BASE}/imports/{body['id']}/results", headers=viewer).json()
    assert results["models"]["markov"] == [
        {"channel": "c2", "conversions": 1.0, "value": "20.00", "share": 0.5},
        {"channel": "c1", "conversions": 0.5, "value": "10.00", "share": 0.25},
        {"channel": "c3", "conversions": 0.5, "value": "10.00", "share": 0.25}]
    every = tenant.client.get(f"{BASE}/imports/{body['id']}/results?model=all", headers=viewer).json()
    assert len(every["models"]) == 6
    first = tenant.client.get(f"{BASE}/imports/{body['id']}/results?model=first_touch&model=last_touch",
                              headers=viewer).json()
    assert first["models"]["first_touch"][0] == {"channel": "c1", "conversions": 1.0, "value": "30.00", "share": 0.5}
    assert tenant.client.delete(f"{BASE}/imports/{body['id']}", headers=viewer).status_code == 403
    assert tenant.client.delete(f"{BASE}/imports/{body['id']}", headers=tenant.headers(Role.MARKETER)).status_code == 204
    assert tenant.client.get(f"{BASE}/imports/{body['id']}", headers=viewer).status_code == 404


def test_json_rows(tenant: Tenant) -> None:
    created = tenant.client.post(f"{BASE}/imports/rows", headers=tenant.headers(Role.MARKETER), json={
        "name": "from a tool", "rows": [
            {"path": "search>email", "total_conversions": 3, "total_conversion_value": "90.50", "total_null": 4},
            {"path": ["display"], "total_conversions": 1}]})
    assert created.status_code == 201, created.text
    assert created.json()["total_conversion_value"] == "90.50"
    bad = tenant.client.post(f"{BASE}/imports/rows", headers=tenant.headers(Role.MARKETER), json={
        "name": "x", "rows": [{"path": "a > > b", "total_conversions": 1}]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_bad_files_and_models_are_problems(tenant: Tenant) -> None:
    bad = upload(tenant, b"path,total_conversions\na,1\nb,many\n")
    assert bad.status_code == 422
    assert "Row 3" in bad.json()["detail"]
    created = upload(tenant).json()
    wrong = tenant.client.get(f"{BASE}/imports/{created['id']}/results?model=shapley", headers=tenant.headers())
    assert wrong.status_code == 422
    assert tenant.client.get(f"{BASE}?model=shapley", headers=tenant.headers()).status_code == 422
    assert tenant.client.get(f"{BASE}?since=2026-03-02T00:00:00Z&until=2026-03-01T00:00:00Z",
                             headers=tenant.headers()).status_code == 422


def test_roles_and_tenancy(tenant: Tenant, other_tenant: Tenant) -> None:
    assert upload(tenant, role=Role.VIEWER).status_code == 403
    created = upload(tenant).json()
    theirs = other_tenant.headers(Role.ADMIN)
    assert other_tenant.client.get(f"{BASE}/imports/{created['id']}", headers=theirs).status_code == 404
    assert other_tenant.client.get(f"{BASE}/imports/{created['id']}/results", headers=theirs).status_code == 404
    assert other_tenant.client.delete(f"{BASE}/imports/{created['id']}", headers=theirs).status_code == 404
    assert other_tenant.client.get(f"{BASE}/imports", headers=theirs).json()["items"] == []
    assert tenant.client.get(f"{BASE}/imports").status_code == 401


def test_own_data(tenant: Tenant, session: Session) -> None:
    shop = Shop(session, tenant.id)
    first, second = shop.campaign("First"), shop.campaign("Second")
    contact = shop.contact()
    shop.touch(first, contact, ago(days=2))
    shop.touch(second, contact, ago(hours=1))
    shop.order(contact, T0, "80.00")
    session.commit()
    got = tenant.client.get(BASE, headers=tenant.headers(Role.VIEWER), params={
        "since": ago(days=5).isoformat(), "until": T0.isoformat(), "model": ["linear", "last_touch"]})
    assert got.status_code == 200, got.text
    assert got.json()["conversions"] == 0  # `until` excludes the order placed exactly at T0
    got = tenant.client.get(BASE, headers=tenant.headers(Role.VIEWER), params={
        "since": ago(days=5).isoformat(), "until": (T0 + (T0 - ago(hours=1))).isoformat(),
        "model": ["linear", "last_touch"]}).json()
    assert (got["conversions"], got["attributed"], got["value"], got["currency"]) == (1, 1, "80.00", "EUR")
    assert got["by_campaign"]["linear"] == [
        {"key": str(first.campaign_id), "label": "First", "conversions": 0.5, "revenue": "40.00"},
        {"key": str(second.campaign_id), "label": "Second", "conversions": 0.5, "revenue": "40.00"}]
    assert got["by_channel"]["last_touch"] == [{"key": "email", "label": "email", "conversions": 1.0,
                                                "revenue": "80.00"}]
