"""Content blocks over HTTP: each role's allowed and refused actions, problem+json errors, workspaces apart."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from kempen.models import Role
from tests.conftest import Tenant
from tests.delivery.conftest import make_campaign
from tests.planning.test_objectives_api import PROBLEM, call

BLOCK = {"key": "spring-banner", "name": "Spring banner", "html": "<p>Spring {{ first_name }}</p>", "text": "Spring"}
WRITERS = (Role.MARKETER, Role.MANAGER, Role.ADMIN)
READERS = (Role.VIEWER, Role.ANALYST)


def create(tenant: Tenant, role: Role = Role.MARKETER, **changes: Any) -> Any:
    return call(tenant, "POST", "/content-blocks", role, json={**BLOCK, **changes})


@pytest.mark.parametrize("role", WRITERS)
def test_writers_create_edit_preview_and_delete(tenant: Tenant, role: Role) -> None:
    created = create(tenant, role)
    assert created.status_code == 201, created.text
    assert (created.json()["version"], created.json()["used_by"]) == (1, [])
    edited = call(tenant, "PATCH", "/content-blocks/spring-banner", role, json={"text": "Spring!"})
    assert edited.status_code == 200 and edited.json()["version"] == 2 and edited.json()["text"] == "Spring!"
    preview = call(tenant, "POST", "/content-blocks/spring-banner/preview", role)
    assert preview.json() == {"key": "spring-banner", "html": "<p>Spring Alex</p>", "text": "Spring!"}
    assert call(tenant, "DELETE", "/content-blocks/spring-banner", role).status_code == 204
    assert call(tenant, "GET", "/content-blocks/spring-banner", role).status_code == 404


@pytest.mark.parametrize("role", READERS)
def test_readers_read_and_preview_but_never_write(tenant: Tenant, role: Role) -> None:
    assert create(tenant).status_code == 201
    assert [b["key"] for b in call(tenant, "GET", "/content-blocks", role).json()] == ["spring-banner"]
    assert call(tenant, "GET", "/content-blocks/spring-banner", role).json()["name"] == "Spring banner"
    assert call(tenant, "POST", "/content-blocks/spring-banner/preview", role).status_code == 200
    for method, path, body in (("POST", "/content-blocks", {**BLOCK, "key": "other"}),
                               ("PATCH", "/content-blocks/spring-banner", {"name": "x"}),
                               ("DELETE", "/content-blocks/spring-banner", None)):
        refused = call(tenant, method, path, role, json=body)
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM, (method, role)
    assert call(tenant, "GET", "/content-blocks/spring-banner", role).json()["version"] == 1


def test_bad_input_is_a_problem_never_a_500(tenant: Tenant) -> None:
    assert create(tenant).status_code == 201
    taken = create(tenant)
    assert taken.status_code == 409 and taken.headers["content-type"] == PROBLEM
    for changes in ({"key": "Spring Banner"}, {"name": ""}, {"key": "x", "html": "{% if %}"},
                    {"key": "y", "html": '{% content "nowhere" %}'}, {"key": "z", "html": "", "text": ""},
                    {"key": "w", "colour": "red"}):
        bad = create(tenant, **changes)
        assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM, (changes, bad.text)
    syntax = create(tenant, key="s", html="<p>\n{{ x | nope }}</p>").json()
    assert syntax["errors"] == [{"field": "html", "line": 2, "message": "unknown filter 'nope'"}]
    assert call(tenant, "PATCH", "/content-blocks/spring-banner", json={"html": "{% for %}"}).status_code == 422
    assert call(tenant, "PATCH", "/content-blocks/missing", json={"name": "x"}).status_code == 404
    assert call(tenant, "POST", "/content-blocks/missing/preview").status_code == 404


def test_used_by_and_delete_refused_while_a_campaign_uses_it(session: Session, tenant: Tenant) -> None:
    assert create(tenant).status_code == 201
    built = make_campaign(session, tenant.id, html='<p>{% content "spring-banner" %}</p>')
    listed = call(tenant, "GET", "/content-blocks", Role.VIEWER).json()
    assert [u["campaign_id"] for u in listed[0]["used_by"]] == [built.campaign_id]
    refused = call(tenant, "DELETE", "/content-blocks/spring-banner")
    assert refused.status_code == 409 and "not launched yet" in refused.json()["detail"]


def test_other_workspaces_see_nothing(tenant: Tenant, other_tenant: Tenant) -> None:
    assert create(tenant).status_code == 201
    assert call(other_tenant, "GET", "/content-blocks", Role.VIEWER).json() == []
    for method, path in (("GET", "/content-blocks/spring-banner"), ("PATCH", "/content-blocks/spring-banner"),
                         ("DELETE", "/content-blocks/spring-banner"),
                         ("POST", "/content-blocks/spring-banner/preview")):
        answer = call(other_tenant, method, path, json={"name": "x"} if method == "PATCH" else None)
        assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM, (method, path)
    assert create(other_tenant).status_code == 201  # the same key in another workspace
