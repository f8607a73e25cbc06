"""The attribution pages: own data for a period, uploading paths, an import's results, roles."""

from __future__ import annotations

import httpx
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.models import Role
from tests.attribution.conftest import T0, Shop, ago
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD, LoggedIn, login

CSV = b"path,total_conversions,total_conversion_value,total_null\nc1 > c2,1,30,0\nc1,0,0,1\nc2 > c3,1,10,0\n"


def _upload(page: LoggedIn, body: bytes = CSV) -> httpx.Response:
    return page.client.post("/attribution/imports", data={"csrf_token": page.csrf, "name": "Q1"},
                            files={"file": ("q1.csv", body, "text/csv")}, follow_redirects=False)


def test_own_data_for_a_period(logged_in: LoggedIn, session: Session) -> None:
    shop = Shop(session, logged_in.tenant.id)
    spring = shop.campaign("Spring sale")
    contact = shop.contact()
    shop.touch(spring, contact, ago(hours=2))
    shop.order(contact, T0, "120.00")
    session.commit()
    page = logged_in.client.get("/attribution", params={"since": "2026-03-01", "until": "2026-03-10",
                                                       "by": "campaign"})
    assert page.status_code == 200
    assert "Spring sale" in page.text and "1 conversion worth EUR 120.00" in page.text
    assert page.text.count("EUR 120.00") >= 6  # every model gives the one touch all the credit
    empty = logged_in.client.get("/attribution/results", params={"since": "2026-03-11", "until": "2026-03-12"})
    assert "0 conversions" in empty.text and empty.headers["HX-Push-Url"].startswith("/attribution?")
    wrong = logged_in.client.get("/attribution/results", params={"since": "2026-03-12", "until": "2026-03-11"})
    assert "The first day is after the last day." in wrong.text


def test_upload_then_results_then_delete(logged_in: LoggedIn) -> None:
    created = _upload(logged_in)
    assert created.status_code == 303
    location = created.headers["location"]
    page = logged_in.client.get(location)
    assert page.status_code == 200 and "Q1" in page.text and "3 distinct paths" in page.text
    assert 'data-model="markov">1.00' in page.text  # c2's removal effect gives it one of the two conversions
    listing = logged_in.client.get("/attribution")
    assert location in listing.text
    gone = logged_in.client.post(f"{location}/delete", data={"csrf_token": logged_in.csrf}, follow_redirects=False)
    assert gone.status_code == 303 and logged_in.client.get(location).status_code == 404


def test_a_bad_file_shows_the_row(logged_in: LoggedIn) -> None:
    refused = _upload(logged_in, b"path,total_conversions\na,1\nb,lots\n")
    assert refused.status_code == 422
    assert "Row 3: total_conversions &#39;lots&#39; is not a number." in refused.text


def test_upload_needs_csrf_and_the_marketer_role(logged_in: LoggedIn, session: Session, tenant: Tenant) -> None:
    no_token = logged_in.client.post("/attribution/imports", files={"file": ("q.csv", CSV, "text/csv")},
                                     follow_redirects=False)
    assert no_token.status_code == 403
    email = unique("viewer") + "@example.com"
    viewer = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=viewer.id, role=Role.VIEWER)
    session.commit()
    login(tenant.client, email)
    as_viewer = LoggedIn(tenant, tenant.client)
    assert "CSV file" not in as_viewer.client.get("/attribution").text
    assert _upload(as_viewer).status_code == 403


def test_another_workspace_cannot_open_an_import(logged_in: LoggedIn, other_tenant: Tenant) -> None:
    location = _upload(logged_in).headers["location"]
    login(other_tenant.client, f"{other_tenant.workspace.slug}@example.com")
    assert other_tenant.client.get(location).status_code == 404
