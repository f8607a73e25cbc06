"""The imports API: upload, follow the run, download its rejects; 422 for junk; roles and workspaces."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kempen.models import Role
from tests.conftest import Tenant

CONTACTS = b"E-mail;First Name;Country;Notes\r\nann@example.com;Ann;MY;x\r\nnope;Bob;MY;\r\ncy@example.com;Cy;ZZ;\r\n"


def _upload(tenant: Tenant, content: bytes, *, kind: str = "contacts", role: Role = Role.MARKETER,
            mapping: dict[str, str] | str | None = None, name: str = "list.csv") -> object:
    data = {"mapping": mapping if isinstance(mapping, str) else json.dumps(mapping)} if mapping else {}
    return tenant.client.post(f"/api/v1/imports/{kind}", files={"file": (name, content, "text/csv")}, data=data,
                              headers=tenant.headers(role))


def test_upload_imports_and_the_run_can_be_followed(tenant: Tenant) -> None:
    response = _upload(tenant, CONTACTS, mapping={"Notes": "ignore"})
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "completed" and run["filename"] == "list.csv"
    assert (run["total_rows"], run["created_rows"], run["rejected_rows"]) == (3, 1, 2)
    assert run["column_mapping"] == {"E-mail": "email", "First Name": "first_name", "Country": "country",
                                     "Notes": "ignore"}
    assert run["unmapped_columns"] == [] and run["rejects_truncated"] is False

    c, viewer = tenant.client, tenant.headers(Role.VIEWER)
    assert c.get(f"/api/v1/imports/{run['id']}", headers=viewer).json() == run
    rejects = c.get(f"/api/v1/imports/{run['id']}/rejects.csv", headers=viewer)
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(rejects.text)))
    assert [(r["line"], r["First Name"]) for r in rows] == [("3", "Bob"), ("4", "Cy")]
    assert "invalid email" in rows[0]["reason"] and "unknown country" in rows[1]["reason"]
    found = c.get("/api/v1/contacts", params={"q": "ann@example.com"}, headers=viewer).json()["items"]
    assert [x["first_name"] for x in found] == ["Ann"]


def test_unmapped_columns_are_reported_and_runs_list_newest_first(tenant: Tenant) -> None:
    first = _upload(tenant, CONTACTS).json()
    second = _upload(tenant, b"Email\na@example.com\n", name="second.csv").json()
    assert first["unmapped_columns"] == ["Notes"]
    page = tenant.client.get("/api/v1/imports", params={"limit": 1}, headers=tenant.headers(Role.VIEWER)).json()
    assert [r["id"] for r in page["items"]] == [second["id"]] and page["next_cursor"]
    rest = tenant.client.get("/api/v1/imports", params={"cursor": page["next_cursor"]},
                             headers=tenant.headers(Role.VIEWER)).json()
    assert [r["id"] for r in rest["items"]] == [first["id"]] and rest["next_cursor"] is None


def test_orders_upload(tenant: Tenant) -> None:
    _upload(tenant, b"Email\nann@example.com\n")
    orders = (b"Order ID,Customer Email,Date,Total,Currency,SKU,Qty,Price\n"
              b"O-1,ann@example.com,2024-05-01,30,EUR,TEA,3,10\n"
              b"O-2,ghost@example.com,2024-05-01,30,EUR,TEA,3,10\n")
    run = _upload(tenant, orders, kind="orders").json()
    assert (run["kind"], run["created_rows"], run["rejected_rows"]) == ("orders", 1, 1)
    listed = tenant.client.get("/api/v1/imports", headers=tenant.headers()).json()["items"]
    assert [r["kind"] for r in listed] == ["orders", "contacts"]


@pytest.mark.parametrize(("content", "mapping", "detail"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", None, "not a CSV text file"),
    (b"", None, "is empty"),
    (b"Name,City\nAnn,Ipoh\n", None, "No identity column"),
    (b"Email\na@example.com\n", "{not json", "mapping must be a JSON object"),
    (b"Email\na@example.com\n", {"Mail": "email"}, "does not have"),
])
def test_bad_uploads_are_422_and_store_nothing(tenant: Tenant, content: bytes, mapping: object, detail: str) -> None:
    response = _upload(tenant, content, mapping=mapping)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert tenant.client.get("/api/v1/imports", headers=tenant.headers()).json()["items"] == []


def test_runs_belong_to_their_workspace(tenant: Tenant, other_tenant: Tenant) -> None:
    run = _upload(tenant, CONTACTS).json()
    other = other_tenant.headers(Role.ADMIN)
    assert other_tenant.client.get(f"/api/v1/imports/{run['id']}", headers=other).status_code == 404
    assert other_tenant.client.get(f"/api/v1/imports/{run['id']}/rejects.csv", headers=other).status_code == 404
    assert other_tenant.client.get("/api/v1/imports", headers=other).json()["items"] == []
    contacts = other_tenant.client.get("/api/v1/contacts", headers=other).json()["items"]
    assert contacts == []


def test_viewers_and_analysts_cannot_import(tenant: Tenant) -> None:
    for role in (Role.VIEWER, Role.ANALYST):
        response = _upload(tenant, CONTACTS, role=role)
        assert response.status_code == 403 and "marketer" in response.json()["detail"]
    assert tenant.client.post("/api/v1/imports/contacts", files={"file": ("a.csv", CONTACTS)}).status_code == 401
    assert tenant.client.get("/api/v1/imports", headers=tenant.headers(Role.VIEWER)).json()["items"] == []
