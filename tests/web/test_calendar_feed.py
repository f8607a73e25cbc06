"""The calendar page's subscribe box: a personal feed URL to copy, fetched without a login; reset by CSRF POST."""

from __future__ import annotations

import html
import re

from icalendar import Calendar
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.kit.clock import utcnow
from kempen.models import CampaignStatus, Channel, Role
from tests.conftest import unique
from tests.planning.test_calendar import make_campaign
from tests.web.conftest import PASSWORD, LoggedIn, login


def shown_feed_url(page_text: str) -> str:
    found = re.search(r'id="calendar-feed-url" type="text" readonly value="([^"]+)"', page_text)
    assert found is not None, "no feed URL on the page"
    return html.unescape(found.group(1))


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000").removeprefix("http://127.0.0.1")


def test_the_page_shows_a_feed_url_that_works_without_login(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    now = utcnow()
    email = make_campaign(session, ws, (Channel.EMAIL,), status=CampaignStatus.RUNNING, launched_at=now)
    sms = make_campaign(session, ws, (Channel.SMS,), status=CampaignStatus.RUNNING, launched_at=now)
    session.commit()
    page = logged_in.client.get("/calendar")
    assert 'data-copy-target="calendar-feed-url"' in page.text and "/static/js/calendar-feed.js" in page.text
    url = shown_feed_url(page.text)
    filtered = shown_feed_url(logged_in.client.get("/calendar?channel=sms", headers={"HX-Request": "true"}).text)
    assert filtered != url
    logged_in.client.cookies.clear()  # a calendar app has no session
    feed = logged_in.client.get(path_of(url))
    assert feed.status_code == 200 and feed.headers["cache-control"] == "private, max-age=300"
    uids = {str(e["uid"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert {f"campaign-{email.id}-launched@127.0.0.1", f"campaign-{sms.id}-launched@127.0.0.1"} <= uids
    only_sms = {str(e["uid"]) for e in Calendar.from_ical(logged_in.client.get(path_of(filtered)).content)
                .walk("VEVENT")}
    assert only_sms == {f"campaign-{sms.id}-launched@127.0.0.1"}


def test_reset_needs_csrf_and_kills_the_old_url(logged_in: LoggedIn, session: Session) -> None:
    client = logged_in.client
    url = shown_feed_url(client.get("/calendar").text)
    refused = client.post("/calendar/feed/reset", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    assert shown_feed_url(client.get("/calendar").text) == url
    done = client.post("/calendar/feed/reset", data={"csrf_token": logged_in.csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/calendar?feed=reset")
    page = client.get(done.headers["location"])
    assert 'id="feed-reset-notice"' in page.text
    new_url = shown_feed_url(page.text)
    assert new_url != url
    assert client.get(path_of(url)).status_code == 404
    assert client.get(path_of(new_url)).status_code == 200
    csrf = logged_in.csrf
    client.cookies.clear()
    anonymous = client.post("/calendar/feed/reset", data={"csrf_token": csrf}, follow_redirects=False)
    assert anonymous.status_code in (303, 401, 403) and "feed=reset" not in anonymous.headers.get("location", "")
    assert client.get(path_of(new_url)).status_code == 200  # an anonymous post reset nothing


def test_a_viewer_has_a_feed_of_their_own(logged_in: LoggedIn, session: Session) -> None:
    email = f"{unique('viewer')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=Role.VIEWER)
    session.commit()
    owners = shown_feed_url(logged_in.client.get("/calendar").text)
    assert login(logged_in.client, email).status_code == 303
    viewers = shown_feed_url(logged_in.client.get("/calendar").text)
    assert viewers != owners and logged_in.client.get(path_of(viewers)).status_code == 200
