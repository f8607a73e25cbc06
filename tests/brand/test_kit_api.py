"""Brand kit and sender identity API: each role's allowed and refused calls, problem+json for bad input."""

from __future__ import annotations

import hashlib

import pytest

from kempen.models import Role
from tests.brand.test_kit import FOOTER_HTML, image_bytes
from tests.conftest import Tenant

PROBLEM = "application/problem+json"
IDENTITY = {"label": "Support", "from_name": "Support team", "from_email": "support@shop.example.com"}


def test_everyone_reads_the_defaults(tenant: Tenant) -> None:
    response = tenant.client.get("/api/v1/brand", headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200
    body = response.json()
    assert body["colours"]["primary"] == "#1f4e79"
    assert (body["name"], body["display_name"], body["logo"]) == ("", tenant.workspace.name, None)
    listed = tenant.client.get("/api/v1/sender-identities", headers=tenant.headers(Role.VIEWER))
    assert listed.json() == {"items": []}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MARKETER])
def test_below_manager_the_kit_cannot_be_changed(tenant: Tenant, role: Role) -> None:
    headers = tenant.headers(role)
    assert tenant.client.patch("/api/v1/brand", json={"name": "X"}, headers=headers).status_code == 403
    files = {"file": ("logo.png", image_bytes(), "image/png")}
    assert tenant.client.put("/api/v1/brand/logo", files=files, headers=headers).status_code == 403
    assert tenant.client.delete("/api/v1/brand/logo", headers=headers).status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_managers_and_admins_change_the_kit(tenant: Tenant, role: Role) -> None:
    headers = tenant.headers(role)
    response = tenant.client.patch("/api/v1/brand", headers=headers, json={
        "name": "Acme Tea", "accent_colour": "#00FF00", "footer_html": FOOTER_HTML})
    assert response.status_code == 200, response.text
    assert (response.json()["display_name"], response.json()["colours"]["accent"]) == ("Acme Tea", "#00ff00")
    data = image_bytes("GIF")
    # The declared name and type lie: the bytes decide.
    uploaded = tenant.client.put("/api/v1/brand/logo", headers=headers,
                                 files={"file": ("logo.svg", data, "image/svg+xml")})
    assert uploaded.status_code == 200, uploaded.text
    logo = uploaded.json()["logo"]
    assert (logo["content_type"], logo["width"], logo["height"], logo["size"]) == ("image/gif", 120, 40, len(data))
    assert logo["sha256"] == hashlib.sha256(data).hexdigest()
    removed = tenant.client.delete("/api/v1/brand/logo", headers=headers)
    assert removed.status_code == 200 and removed.json()["logo"] is None


@pytest.mark.parametrize(("payload", "message"), [
    ({"primary_colour": "blue"}, "primary_colour: give a colour as #rrggbb"),
    ({"footer_html": "<p>No way out</p>"}, "footer_html: the footer replaces"),
    ({"font_family": "x{}"}, "font_family"),
])
def test_bad_kit_values_are_problem_json(tenant: Tenant, payload: dict[str, str], message: str) -> None:
    response = tenant.client.patch("/api/v1/brand", json=payload, headers=tenant.headers(Role.MANAGER))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert message in response.json()["detail"]


def test_a_bad_logo_is_problem_json(tenant: Tenant) -> None:
    response = tenant.client.put("/api/v1/brand/logo", headers=tenant.headers(Role.MANAGER),
                                 files={"file": ("logo.png", b"<svg onload='x()'/>", "image/png")})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "SVG and other formats are refused" in response.json()["detail"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER, Role.MANAGER])
def test_below_admin_identities_cannot_be_changed(tenant: Tenant, role: Role) -> None:
    admin = tenant.headers(Role.ADMIN)
    identity_id = tenant.client.post("/api/v1/sender-identities", json=IDENTITY, headers=admin).json()["id"]
    headers = tenant.headers(role)
    assert tenant.client.post("/api/v1/sender-identities", json={**IDENTITY, "label": "Other"},
                              headers=headers).status_code == 403
    assert tenant.client.patch(f"/api/v1/sender-identities/{identity_id}", json={"label": "X"},
                               headers=headers).status_code == 403
    assert tenant.client.delete(f"/api/v1/sender-identities/{identity_id}", headers=headers).status_code == 403
    assert tenant.client.get(f"/api/v1/sender-identities/{identity_id}", headers=headers).status_code == 200


def test_admins_manage_identities(tenant: Tenant, other_tenant: Tenant) -> None:
    admin = tenant.headers(Role.ADMIN)
    created = tenant.client.post("/api/v1/sender-identities", json={**IDENTITY, "is_default": True}, headers=admin)
    assert created.status_code == 201, created.text
    identity_id = created.json()["id"]
    assert created.json()["is_default"] is True
    clash = tenant.client.post("/api/v1/sender-identities", json=IDENTITY, headers=admin)
    assert clash.status_code == 409 and "labelled 'Support'" in clash.json()["detail"]
    bad = tenant.client.post("/api/v1/sender-identities", json={**IDENTITY, "label": "B", "from_email": "x"},
                             headers=admin)
    assert bad.status_code == 422 and "from_email" in bad.json()["detail"]
    changed = tenant.client.patch(f"/api/v1/sender-identities/{identity_id}", json={"reply_to": "Desk@Shop.example.com"},
                                  headers=admin)
    assert changed.json()["reply_to"] == "desk@shop.example.com"
    foreign = other_tenant.client.get(f"/api/v1/sender-identities/{identity_id}",
                                      headers=other_tenant.headers(Role.ADMIN))
    assert foreign.status_code == 404
    assert tenant.client.delete(f"/api/v1/sender-identities/{identity_id}", headers=admin).status_code == 204
    assert tenant.client.get(f"/api/v1/sender-identities/{identity_id}", headers=admin).status_code == 404


def test_the_api_is_in_the_openapi_document(tenant: Tenant) -> None:
    paths = tenant.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/brand", "/api/v1/brand/logo", "/api/v1/sender-identities",
            "/api/v1/sender-identities/{identity_id}"} <= set(paths)
