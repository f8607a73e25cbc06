"""Fixtures for the web UI: logging in through the real form and arranging contacts with history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.contacts import service as contacts
from kempen.contacts.schemas import ContactCreate
from kempen.events import service as events
from kempen.http.sessions import COOKIE_NAME, BrowserSession, load_session
from kempen.models import Contact
from kempen.orders import service as orders
from kempen.web.auth import LOGIN_CSRF_COOKIE
from tests.conftest import Tenant

PASSWORD = "correct horse battery"


def owner_email(tenant: Tenant) -> str:
    return f"{tenant.workspace.slug}@example.com"


def login(client: TestClient, email: str, password: str = PASSWORD, next_path: str | None = None) -> Any:
    """Log in through the form as a browser would: fetch it (for its CSRF cookie), then post it."""
    client.cookies.clear()
    assert client.get("/login").status_code == 200
    form = {"email": email, "password": password, "csrf_token": client.cookies.get(LOGIN_CSRF_COOKIE)}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form, follow_redirects=False)


def current_session(client: TestClient) -> BrowserSession | None:
    return load_session(get_settings().signing_key, client.cookies.get(COOKIE_NAME))


@dataclass
class LoggedIn:
    tenant: Tenant
    client: TestClient

    @property
    def csrf(self) -> str:
        browser = current_session(self.client)
        assert browser is not None
        return browser.csrf_token


@pytest.fixture
def logged_in(tenant: Tenant) -> LoggedIn:
    response = login(tenant.client, owner_email(tenant))
    assert response.status_code == 303, response.text
    return LoggedIn(tenant=tenant, client=tenant.client)


def make_contact(session: Session, workspace_id: int, **fields: Any) -> Contact:
    contact = contacts.create_contact(session, workspace_id=workspace_id, actor="test",
                                      data=ContactCreate.model_validate(fields))
    session.commit()
    return contact


def add_orders(session: Session, workspace_id: int, contact_id: int, count: int, prefix: str) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records = [{
        "external_id": f"{prefix}-{n}", "contact_id": contact_id, "placed_at": (start + timedelta(days=n)).isoformat(),
        "amount": f"{10 * (n + 1)}.50", "currency": "EUR", "channel": "web",
        "items": [{"sku": f"SKU-{prefix}-{n}", "name": f"Item {n}", "quantity": 1, "price": f"{10 * (n + 1)}.50"}],
    } for n in range(count)]
    result = orders.upsert_orders(session, workspace_id=workspace_id, actor="test", records=records)
    assert result.rejected == 0, result.errors
    session.commit()


def add_events(session: Session, workspace_id: int, contact_id: int, names: list[str]) -> None:
    start = datetime(2026, 2, 1, tzinfo=UTC)
    records = [{"name": name, "contact_id": contact_id, "occurred_at": (start + timedelta(hours=n)).isoformat(),
                "properties": {"step": n}, "source": "web"} for n, name in enumerate(names)]
    result = events.ingest_events(session, workspace_id=workspace_id, records=records)
    assert result.rejected == 0, result.errors
    session.commit()
