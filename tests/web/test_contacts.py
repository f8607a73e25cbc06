"""The contacts list: search partial, filters, pagination and empty states."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.conftest import Tenant
from tests.web.conftest import LoggedIn, make_contact

HTMX = {"HX-Request": "true"}


def test_the_search_partial_returns_only_matching_rows(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    make_contact(session, ws, email="alice.tan@example.com", first_name="Alice", last_name="Tan", country="MY")
    make_contact(session, ws, email="bob.lee@example.com", first_name="Bob", last_name="Lee", country="SG")
    response = logged_in.client.get("/contacts/results?q=alic", headers=HTMX)
    assert response.status_code == 200
    assert "alice.tan@example.com" in response.text and "bob.lee@example.com" not in response.text
    assert "<html" not in response.text and 'id="contact-results"' in response.text
    assert response.headers["HX-Push-Url"] == "/contacts?q=alic"


def test_filters_narrow_the_list_and_offer_the_values_in_use(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    make_contact(session, ws, email="vip@example.com", country="DE", lifecycle_stage="customer", tags=["vip"])
    make_contact(session, ws, email="lead@example.com", country="FR", lifecycle_stage="lead")
    page = logged_in.client.get("/contacts")
    assert '<option value="DE"' in page.text and '<option value="vip"' in page.text
    by_tag = logged_in.client.get("/contacts/results?tag=vip", headers=HTMX).text
    assert "vip@example.com" in by_tag and "lead@example.com" not in by_tag
    assert '<option value="mql">MQL</option>' in page.text
    by_stage = logged_in.client.get("/contacts?lifecycle_stage=lead").text
    assert "lead@example.com" in by_stage and "vip@example.com" not in by_stage
    by_country = logged_in.client.get("/contacts/results?country=DE", headers=HTMX).text
    assert "vip@example.com" in by_country and "lead@example.com" not in by_country


def test_load_more_appends_the_next_page(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    for n in range(30):
        make_contact(session, ws, email=f"page-{n:02d}@example.com")
    first = logged_in.client.get("/contacts").text
    assert first.count('class="row-link"') == 25
    assert "page-29@example.com" in first and "page-04@example.com" not in first
    link = first.split('hx-get="/contacts/rows?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    rest = logged_in.client.get(f"/contacts/rows?{link}", headers=HTMX)
    assert rest.status_code == 200
    assert rest.text.count('class="row-link"') == 5 and "page-00@example.com" in rest.text
    assert "load-more-row" not in rest.text
    no_js = logged_in.client.get(f"/contacts?{link}").text
    assert "page-04@example.com" in no_js and "Back to the first page" in no_js


def test_a_bad_cursor_is_explained_not_an_error(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/contacts?cursor=not-a-cursor")
    assert response.status_code == 200 and "no longer valid" in response.text


def test_empty_states(logged_in: LoggedIn, session: Session) -> None:
    assert "No contacts yet" in logged_in.client.get("/contacts").text
    make_contact(session, logged_in.tenant.id, email="someone@example.com")
    assert "No contacts match" in logged_in.client.get("/contacts/results?q=zzz", headers=HTMX).text


def test_the_list_never_shows_another_workspace(logged_in: LoggedIn, other_tenant: Tenant, session: Session) -> None:
    make_contact(session, other_tenant.id, email="theirs@example.com", tags=["theirs-tag"])
    page = logged_in.client.get("/contacts").text
    assert "theirs@example.com" not in page and "theirs-tag" not in page


def test_static_assets_are_served(logged_in: LoggedIn) -> None:
    htmx = logged_in.client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    css = logged_in.client.get("/static/css/kempen.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
