"""The campaign API: CRUD and workflow over HTTP, roles, isolation between workspaces, problem+json shapes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from kempen.models import Contact, Role
from tests.campaigns.conftest import HTML, World, add_objective
from tests.conftest import Tenant

API = "/api/v1"
PROBLEM = "application/problem+json"


def call(tenant: Tenant, method: str, path: str, role: Role = Role.MARKETER, **kwargs: Any) -> Any:
    return tenant.client.request(method, f"{API}{path}", headers=tenant.headers(role), **kwargs)


def new_campaign(tenant: Tenant, world: World, name: str = "Spring") -> dict[str, Any]:
    created = call(tenant, "POST", "/campaigns", json={"name": name, "segment_id": world.segment_id,
                                                        "holdout_percent": 5})
    assert created.status_code == 201, created.text
    add_objective(world.session, world.id, created.json()["id"])
    world.session.commit()
    return created.json()


def add_email(tenant: Tenant, campaign_id: int, **variant: Any) -> dict[str, Any]:
    body = {"channel": "email", "variants": [{"subject": "Hi {{ first_name }}", "html": HTML, **variant}]}
    response = call(tenant, "POST", f"/campaigns/{campaign_id}/messages", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_whole_editing_and_review_flow(tenant: Tenant, api_world: World) -> None:
    campaign = new_campaign(tenant, api_world)
    assert campaign["status"] == "draft" and campaign["holdout_percent"] == 5.0
    assert campaign["segment_name"] == "everyone" and campaign["messages"] == []
    readiness = call(tenant, "GET", f"/campaigns/{campaign['id']}/readiness", Role.VIEWER).json()
    assert readiness == {"ready": False, "problems": ["Add at least one message."], "warnings": []}
    message = add_email(tenant, campaign["id"])
    assert message["name"] == "Email" and [v["name"] for v in message["variants"]] == ["A"]
    variant_b = call(tenant, "POST", f"/campaigns/{campaign['id']}/messages/{message['id']}/variants",
                     json={"subject": "Hello {{ first_name }}", "html": "<p>B</p>"}).json()
    assert variant_b["name"] == "B" and variant_b["split_percent"] == 50
    detail = call(tenant, "GET", f"/campaigns/{campaign['id']}", Role.VIEWER).json()
    assert [v["split_percent"] for v in detail["messages"][0]["variants"]] == [50, 50]
    submitted = call(tenant, "POST", f"/campaigns/{campaign['id']}/submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    changes = call(tenant, "POST", f"/campaigns/{campaign['id']}/request-changes", Role.ADMIN,
                   json={"comment": "Shorter subject"})
    assert changes.json()["status"] == "draft"
    call(tenant, "POST", f"/campaigns/{campaign['id']}/submit")
    approved = call(tenant, "POST", f"/campaigns/{campaign['id']}/approve", Role.ADMIN)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # An edit withdraws the approval.
    patched = call(tenant, "PATCH", f"/campaigns/{campaign['id']}/messages/{message['id']}/variants/{variant_b['id']}",
                   json={"subject": "Hey {{ first_name }}"})
    assert patched.status_code == 200
    assert call(tenant, "GET", f"/campaigns/{campaign['id']}", Role.VIEWER).json()["status"] == "draft"


def test_list_search_and_pages(tenant: Tenant, api_world: World) -> None:
    for name in ("Alpha", "Beta", "Alphabet"):
        new_campaign(tenant, api_world, name)
    page = call(tenant, "GET", "/campaigns", Role.VIEWER, params={"limit": 2}).json()
    assert [c["name"] for c in page["items"]] == ["Alphabet", "Beta"] and page["next_cursor"]
    rest = call(tenant, "GET", "/campaigns", Role.VIEWER, params={"cursor": page["next_cursor"]}).json()
    assert [c["name"] for c in rest["items"]] == ["Alpha"] and rest["next_cursor"] is None
    found = call(tenant, "GET", "/campaigns", Role.VIEWER, params={"q": "alpha", "status": "draft"}).json()
    assert [c["name"] for c in found["items"]] == ["Alphabet", "Alpha"] and found["items"][0]["channels"] == []
    bad = call(tenant, "GET", "/campaigns", Role.VIEWER, params={"status": "sent"})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    bad_cursor = call(tenant, "GET", "/campaigns", Role.VIEWER, params={"cursor": "nonsense!"})
    assert bad_cursor.status_code == 422


def test_duplicate_delete_and_archive(tenant: Tenant, api_world: World) -> None:
    campaign = new_campaign(tenant, api_world, "Launch")
    add_email(tenant, campaign["id"])
    copy = call(tenant, "POST", f"/campaigns/{campaign['id']}/duplicate")
    assert copy.status_code == 201 and copy.json()["name"] == "Launch (copy)"
    assert len(copy.json()["messages"][0]["variants"]) == 1
    assert call(tenant, "DELETE", f"/campaigns/{copy.json()['id']}").status_code == 204
    assert call(tenant, "GET", f"/campaigns/{copy.json()['id']}", Role.VIEWER).status_code == 404
    call(tenant, "POST", f"/campaigns/{campaign['id']}/submit")
    refused = call(tenant, "DELETE", f"/campaigns/{campaign['id']}")
    assert refused.status_code == 409 and "Only draft campaigns can be deleted" in refused.json()["detail"]
    archived = call(tenant, "POST", f"/campaigns/{campaign['id']}/archive")
    assert archived.status_code == 409 and "in review cannot become archived" in archived.json()["detail"]


WRITES = [
    ("POST", "/campaigns", {"name": "x"}),
    ("PATCH", "/campaigns/{id}", {"name": "y"}),
    ("DELETE", "/campaigns/{id}", None),
    ("POST", "/campaigns/{id}/duplicate", None),
    ("POST", "/campaigns/{id}/submit", None),
    ("POST", "/campaigns/{id}/archive", None),
    ("POST", "/campaigns/{id}/unschedule", None),
    ("POST", "/campaigns/{id}/messages", {"channel": "sms"}),
    ("PATCH", "/campaigns/{id}/messages/{mid}", {"name": "z"}),
    ("DELETE", "/campaigns/{id}/messages/{mid}", None),
    ("POST", "/campaigns/{id}/messages/{mid}/variants", {"subject": "s", "html": "<p/>"}),
    ("PATCH", "/campaigns/{id}/messages/{mid}/variants/{vid}", {"subject": "t"}),
    ("DELETE", "/campaigns/{id}/messages/{mid}/variants/{vid}", None),
]
MANAGER_ONLY = [
    ("POST", "/campaigns/{id}/approve", None),
    ("POST", "/campaigns/{id}/request-changes", {"comment": "no"}),
]
ADMIN_ONLY = [("PUT", "/settings/sending", {"require_approval": True})]


@pytest.fixture
def ids(tenant: Tenant, api_world: World) -> dict[str, int]:
    campaign = new_campaign(tenant, api_world)
    message = add_email(tenant, campaign["id"])
    return {"id": campaign["id"], "mid": message["id"], "vid": message["variants"][0]["id"]}


def test_roles(tenant: Tenant, ids: dict[str, int]) -> None:
    for method, path, body in WRITES + MANAGER_ONLY + ADMIN_ONLY:
        response = call(tenant, method, path.format(**ids), Role.VIEWER, json=body)
        assert response.status_code == 403, (method, path)
        assert response.headers["content-type"] == PROBLEM
    for method, path, body in MANAGER_ONLY + ADMIN_ONLY:
        response = call(tenant, method, path.format(**ids), Role.MARKETER, json=body)
        assert response.status_code == 403, (method, path)
        assert "needs the manager role" in response.json()["detail"] or (method, path, body) in ADMIN_ONLY
    for method, path, body in ADMIN_ONLY:
        response = call(tenant, method, path.format(**ids), Role.MANAGER, json=body)
        assert response.status_code == 403 and "needs the admin role" in response.json()["detail"], (method, path)
    reads = ["/campaigns", "/campaigns/{id}", "/campaigns/{id}/readiness", "/campaigns/{id}/messages/{mid}",
             "/campaigns/{id}/messages/{mid}/variants/{vid}/preview", "/settings/sending"]
    for path in reads:
        assert call(tenant, "GET", path.format(**ids), Role.VIEWER).status_code == 200, path
    assert tenant.client.get(f"{API}/campaigns").status_code == 401


def test_another_workspace_sees_nothing(tenant: Tenant, other_tenant: Tenant, ids: dict[str, int],
                                        session: Session) -> None:
    for method, path, body in WRITES[1:] + MANAGER_ONLY:
        response = call(other_tenant, method, path.format(**ids), Role.ADMIN, json=body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 404
    for path in ("/campaigns/{id}", "/campaigns/{id}/readiness",
                 "/campaigns/{id}/messages/{mid}/variants/{vid}/preview"):
        assert call(other_tenant, "GET", path.format(**ids), Role.ADMIN).status_code == 404
    assert call(other_tenant, "GET", "/campaigns", Role.ADMIN).json()["items"] == []
    # Nor may a campaign use another workspace's contact in a preview.
    theirs = Contact(workspace_id=other_tenant.id, first_name="Zed", email="z@example.com",
                     email_normalized="z@example.com")
    session.add(theirs)
    session.commit()
    url = "/campaigns/{id}/messages/{mid}/variants/{vid}/preview".format(**ids)
    assert call(tenant, "GET", url, Role.VIEWER, params={"contact_id": theirs.id}).status_code == 404


def test_problem_shapes(tenant: Tenant, ids: dict[str, int]) -> None:
    bad = call(tenant, "PATCH", "/campaigns/{id}/messages/{mid}/variants/{vid}".format(**ids),
               json={"html": "<p>\n{{ first_name }</p>"})
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    body = bad.json()
    assert body["title"] == "Invalid input" and body["detail"].startswith("html, line 2: unexpected '}'")
    assert body["errors"][0]["field"] == "html" and body["errors"][0]["line"] == 2
    assert body["instance"].endswith("/variants/{vid}".format(**ids))
    unknown = call(tenant, "POST", "/campaigns", json={"name": "n", "holdout_percent": 60, "colour": "red"})
    assert unknown.status_code == 422
    assert {e["location"] for e in unknown.json()["errors"]} == {"body.holdout_percent", "body.colour"}
    huge = call(tenant, "GET", f"/campaigns/{2**63}", Role.VIEWER)
    assert huge.status_code == 422
    missing = call(tenant, "GET", "/campaigns/{id}/messages/999999999".format(**ids), Role.VIEWER)
    assert missing.status_code == 404 and missing.json()["detail"] == f"No message 999999999 in campaign {ids['id']}."
    call(tenant, "PUT", "/settings/sending", Role.ADMIN, json={"from_email": ""})
    not_ready = call(tenant, "POST", "/campaigns/{id}/submit".format(**ids))
    assert not_ready.status_code == 409
    assert not_ready.json()["errors"] == [{"message": "Message 'Email' has no sender address: set one on the "
                                                      "message or in the workspace's sending settings."}]


def test_previews_over_http(tenant: Tenant, ids: dict[str, int], session: Session) -> None:
    contact = Contact(workspace_id=tenant.id, first_name="Siti", email="siti@example.com",
                      email_normalized="siti@example.com")
    session.add(contact)
    session.commit()
    url = "/campaigns/{id}/messages/{mid}/variants/{vid}/preview".format(**ids)
    shown = call(tenant, "GET", url, Role.VIEWER, params={"contact_id": contact.id}).json()
    assert shown["subject"] == "Hi Siti" and "Hi Siti," in shown["html"] and shown["contact_id"] == contact.id
    unsaved = call(tenant, "POST", "/templates/preview", Role.VIEWER,
                   json={"channel": "sms", "body": "{{ first_name }}: 2 for 1"}).json()
    assert unsaved["body"] == "Alex: 2 for 1" and unsaved["sms_segments"] == 1
    failing = call(tenant, "POST", "/templates/preview", Role.VIEWER,
                   json={"subject": "x", "html": "{{ range(10) | join(',') * 999999 }}"})
    assert failing.status_code == 422 and failing.headers["content-type"] == PROBLEM
    assert failing.json()["detail"].startswith("The template could not be rendered: html:")


def test_send_settings_over_http(tenant: Tenant) -> None:
    got = call(tenant, "GET", "/settings/sending", Role.VIEWER)
    assert got.status_code == 200 and got.json()["quiet_hours_start"] == "21:00"
    put = call(tenant, "PUT", "/settings/sending", Role.ADMIN,
               json={"quiet_hours_start": "22:00", "default_time_zone": "Europe/Amsterdam",
                     "from_email": "news@shop.example.com"})
    assert put.status_code == 200, put.text
    assert (put.json()["quiet_hours_start"], put.json()["quiet_hours_end"]) == ("22:00", "08:00")
    bad = call(tenant, "PUT", "/settings/sending", Role.ADMIN, json={"quiet_hours_end": "25:00"})
    assert bad.status_code == 422 and "use HH:MM" in bad.json()["detail"]
    zone = call(tenant, "PUT", "/settings/sending", Role.ADMIN, json={"default_time_zone": "Nowhere/Land"})
    assert zone.status_code == 422 and zone.json()["errors"][0]["field"] == "default_time_zone"


def test_a_manager_reviews(tenant: Tenant, ids: dict[str, int]) -> None:
    """Managers approve and send back; the marketer who built the campaign cannot approve it."""
    assert call(tenant, "PUT", "/settings/sending", Role.ADMIN, json={"require_approval": True}).status_code == 200
    path = "/campaigns/{id}".format(**ids)
    submitted = call(tenant, "POST", path + "/submit", Role.MARKETER)
    assert submitted.status_code == 200, submitted.text
    assert call(tenant, "POST", path + "/approve", Role.MARKETER).status_code == 403
    approved = call(tenant, "POST", path + "/approve", Role.MANAGER)
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    back = call(tenant, "POST", path + "/request-changes", Role.MANAGER, json={"comment": "Shorter subject, please"})
    assert back.status_code == 200 and back.json()["status"] == "draft", back.text
