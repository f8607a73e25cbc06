"""Webhook endpoint management: Admin only, HTTPS only, secret shown once, workspace isolation."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.kit.secrets import derive_secret
from kempen.models import AuditEntry, Role, WebhookEndpoint
from tests.conftest import Tenant

API = "/api/v1/webhooks"


def test_create_list_delete(session: Session, tenant: Tenant) -> None:
    c = tenant.client
    created = c.post(API, json={"url": "https://hooks.example.com/kempen", "description": "CRM sync",
                                "event_types": ["contact.updated", "contact.created"]}, headers=tenant.headers())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["event_types"] == ["contact.created", "contact.updated"] and body["is_active"]
    endpoint = session.get(WebhookEndpoint, body["id"])
    assert endpoint is not None
    expected = derive_secret(get_settings().signing_key, f"webhook:{endpoint.id}:{endpoint.secret_nonce}")
    assert body["secret"] == expected
    assert expected not in (endpoint.secret_nonce, endpoint.url, endpoint.description)  # derived, never stored
    listed = c.get(API, headers=tenant.headers()).json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert c.get(f"{API}/{body['id']}/deliveries", headers=tenant.headers()).json() == {"items": [],
                                                                                       "next_cursor": None}
    assert c.delete(f"{API}/{body['id']}", headers=tenant.headers()).status_code == 204
    assert c.get(API, headers=tenant.headers()).json() == []
    assert c.delete(f"{API}/{body['id']}", headers=tenant.headers()).status_code == 404
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == tenant.id,
                                                                  AuditEntry.entity_type == "webhook")))
    assert actions == {"webhook.created", "webhook.deleted"}


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://hooks.example.com", "https://", "hooks.example.com",
                                 "http://10.0.0.1/x", "https://example.com:99999/"])
def test_only_https_urls(tenant: Tenant, url: str) -> None:
    response = tenant.client.post(API, json={"url": url}, headers=tenant.headers())
    assert response.status_code == 422, url


def test_local_http_needs_the_setting(tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    assert tenant.client.post(API, json={"url": "http://127.0.0.1:9/x"}, headers=tenant.headers()).status_code == 201
    assert tenant.client.post(API, json={"url": "http://localhost:9/x"}, headers=tenant.headers()).status_code == 201
    monkeypatch.setattr(get_settings(), "webhook_allow_http_localhost", False)
    assert tenant.client.post(API, json={"url": "http://127.0.0.1:9/x"}, headers=tenant.headers()).status_code == 422


def test_unknown_event_types_are_refused(tenant: Tenant) -> None:
    response = tenant.client.post(API, json={"url": "https://h.example.com", "event_types": ["contact.exploded"]},
                                  headers=tenant.headers())
    assert response.status_code == 422 and "contact.exploded" in response.text


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST, Role.MARKETER])
def test_only_admins_manage_webhooks(tenant: Tenant, role: Role) -> None:
    c = tenant.client
    endpoint = c.post(API, json={"url": "https://h.example.com"}, headers=tenant.headers()).json()
    assert c.post(API, json={"url": "https://h.example.com"}, headers=tenant.headers(role)).status_code == 403
    assert c.get(API, headers=tenant.headers(role)).status_code == 403
    assert c.delete(f"{API}/{endpoint['id']}", headers=tenant.headers(role)).status_code == 403
    assert c.get(f"{API}/{endpoint['id']}/deliveries", headers=tenant.headers(role)).status_code == 403


def test_workspace_isolation(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = other_tenant.client.post(API, json={"url": "https://b.example.com"}, headers=other_tenant.headers()).json()
    c = tenant.client
    assert c.get(API, headers=tenant.headers()).json() == []
    assert c.get(f"{API}/{theirs['id']}/deliveries", headers=tenant.headers()).status_code == 404
    assert c.delete(f"{API}/{theirs['id']}", headers=tenant.headers()).status_code == 404
    assert c.get(f"{API}/{10**20}/deliveries", headers=tenant.headers()).status_code == 422
    assert [e["id"] for e in other_tenant.client.get(API, headers=other_tenant.headers()).json()] == [theirs["id"]]


@pytest.mark.parametrize("url", ["https://10.1.2.3/hook", "https://192.168.0.1/", "https://169.254.169.254/latest",
                                 "https://[::1]/x", "https://127.0.0.1/x", "https://[fd00::1]/x"])
def test_private_and_loopback_addresses_are_refused(tenant: Tenant, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "webhook_allow_http_localhost", False)
    response = tenant.client.post(API, json={"url": url}, headers=tenant.headers())
    assert response.status_code == 422 and "public address" in response.json()["detail"], url
