"""Logging in and out, redirects, CSRF and workspace switching."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.http.sessions import COOKIE_NAME
from kempen.models import Membership, Role
from kempen.web.auth import safe_next
from tests.conftest import Tenant
from tests.web.conftest import LoggedIn, current_session, login, make_contact, owner_email


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_login_success_sets_a_hardened_session_cookie(tenant: Tenant) -> None:
    response = login(tenant.client, owner_email(tenant).upper())
    assert response.status_code == 303
    assert response.headers["location"] == "/contacts"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE_NAME + "="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    browser = current_session(tenant.client)
    assert browser is not None and browser.user_id == tenant.owner_id and browser.workspace_id == tenant.id
    page = tenant.client.get("/contacts")
    assert page.status_code == 200
    assert owner_email(tenant) in page.text and tenant.workspace.name in page.text


def test_login_failure_keeps_the_email_and_does_not_say_which_part_was_wrong(tenant: Tenant) -> None:
    wrong_password = login(tenant.client, owner_email(tenant), password="not the password")
    assert wrong_password.status_code == 400
    assert "do not match an account" in wrong_password.text
    assert f'value="{owner_email(tenant)}"' in wrong_password.text
    assert current_session(tenant.client) is None
    unknown = login(tenant.client, "nobody-" + owner_email(tenant), password="not the password")
    assert unknown.status_code == 400
    expected = _without_tokens(wrong_password.text).replace(owner_email(tenant), "EMAIL")
    assert _without_tokens(unknown.text).replace("nobody-" + owner_email(tenant), "EMAIL") == expected


def test_pages_redirect_to_login_with_the_page_to_return_to(tenant: Tenant) -> None:
    tenant.client.cookies.clear()
    response = tenant.client.get("/contacts?q=ann", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/contacts%3Fq%3Dann"
    partial = tenant.client.get("/contacts/results?q=ann", headers={"HX-Request": "true"}, follow_redirects=False)
    assert partial.status_code == 401 and partial.headers["HX-Redirect"].startswith("/login?next=")
    assert tenant.client.get("/", follow_redirects=False).headers["location"] == "/contacts"


def test_a_forged_cookie_is_not_a_session(tenant: Tenant) -> None:
    tenant.client.cookies.clear()
    tenant.client.cookies.set(COOKIE_NAME, "eyJ1aWQiOjF9.forged.signature")
    assert tenant.client.get("/contacts", follow_redirects=False).status_code == 303


def test_login_returns_to_a_local_next_page_only(tenant: Tenant) -> None:
    assert login(tenant.client, owner_email(tenant), next_path="/contacts?tag=vip").headers["location"] == \
        "/contacts?tag=vip"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        assert login(tenant.client, owner_email(tenant), next_path=hostile).headers["location"] == "/contacts"


@pytest.mark.parametrize(("value", "expected"), [
    ("/contacts/5", "/contacts/5"), (None, "/contacts"), ("contacts", "/contacts"),
    ("//evil.example", "/contacts"), ("/\\evil.example", "/contacts"), ("https://evil.example", "/contacts"),
    ("/x\r\nLocation: https://evil.example", "/contacts"),
])
def test_safe_next(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_state_changing_posts_need_the_csrf_token(logged_in: LoggedIn) -> None:
    client = logged_in.client
    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert client.post("/logout", data={"csrf_token": "guess"}, follow_redirects=False).status_code == 403
    assert client.get("/contacts", follow_redirects=False).status_code == 200  # still logged in
    accepted = client.post("/logout", headers={"X-CSRF-Token": logged_in.csrf}, follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/login"
    assert client.get("/contacts", follow_redirects=False).status_code == 303


def test_the_login_form_needs_its_own_csrf_token(tenant: Tenant) -> None:
    tenant.client.cookies.clear()
    response = tenant.client.post("/login", data={"email": owner_email(tenant), "password": "correct horse battery"},
                                  follow_redirects=False)
    assert response.status_code == 403
    assert current_session(tenant.client) is None


def test_switching_to_a_workspace_of_which_one_is_not_a_member_is_refused(
    logged_in: LoggedIn, other_tenant: Tenant, session: Session,
) -> None:
    client = logged_in.client
    response = client.post("/workspace", data={"workspace_id": other_tenant.id, "csrf_token": logged_in.csrf},
                           follow_redirects=False)
    assert response.status_code == 403
    browser = current_session(client)
    assert browser is not None and browser.workspace_id == logged_in.tenant.id


def test_switching_workspace_reissues_the_cookie(logged_in: LoggedIn, other_tenant: Tenant, session: Session) -> None:
    accounts.add_member(session, workspace_id=other_tenant.id, user_id=logged_in.tenant.owner_id, role=Role.VIEWER)
    make_contact(session, other_tenant.id, email="only-in-other@example.com")
    session.commit()
    client = logged_in.client
    assert "only-in-other@example.com" not in client.get("/contacts").text
    without_token = client.post("/workspace", data={"workspace_id": other_tenant.id}, follow_redirects=False)
    assert without_token.status_code == 403
    csrf = logged_in.csrf
    response = client.post("/workspace", data={"workspace_id": other_tenant.id, "csrf_token": csrf},
                           follow_redirects=False)
    assert response.status_code == 303
    browser = current_session(client)
    assert browser is not None and browser.workspace_id == other_tenant.id and browser.csrf_token == csrf
    page = client.get("/contacts")
    assert "only-in-other@example.com" in page.text
    assert 'id="workspace-select"' in page.text and other_tenant.workspace.name in page.text


def test_a_removed_membership_ends_the_session(logged_in: LoggedIn, session: Session) -> None:
    membership = session.get(Membership, (logged_in.tenant.id, logged_in.tenant.owner_id))
    assert membership is not None
    session.delete(membership)
    session.commit()
    assert logged_in.client.get("/contacts", follow_redirects=False).status_code == 303
