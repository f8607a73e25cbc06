"""The calendar page through the real login: month and week views, HTMX partials, filters, the .ics feed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.kit.clock import utcnow
from kempen.models import CampaignStatus, Channel, Role
from kempen.planning import calendar
from tests.conftest import unique
from tests.planning.test_calendar import make_campaign
from tests.web.conftest import PASSWORD, LoggedIn, login


def test_month_view_shows_events_on_their_utc_days(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    sent = make_campaign(session, ws, (Channel.EMAIL,), status=CampaignStatus.SCHEDULED,
                         scheduled_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    planned = make_campaign(session, ws, (Channel.SMS,))
    calendar.set_planned_period(session, workspace_id=ws, actor="user:1", campaign_id=planned.id,
                                starts_on=date(2026, 12, 30), ends_on=date(2027, 1, 2))
    session.commit()
    page = logged_in.client.get("/calendar?date=2026-12-15")
    assert page.status_code == 200 and "December 2026" in page.text and 'data-view="month"' in page.text
    assert 'href="/calendar"' in page.text and "times are in UTC" in page.text.replace("Days and times", "times")
    cell = page.text.split('data-day="2026-12-31"')[1].split("</td>")[0]
    assert f'href="/campaigns/{sent.id}"' in cell and "23:30" in cell and f'data-campaign="{planned.id}"' in cell
    # The grid runs on to Sunday 3 January: the planned period shows on 1 and 2 January, not on the 3rd.
    assert f'data-campaign="{planned.id}"' in page.text.split('data-day="2027-01-02"')[1].split("</td>")[0]
    assert f'data-campaign="{planned.id}"' not in page.text.split('data-day="2027-01-03"')[1].split("</td>")[0]


def test_week_view_navigation_and_htmx_partial(logged_in: LoggedIn, session: Session) -> None:
    page = logged_in.client.get("/calendar?view=week&date=2026-12-10", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "<html" not in page.text
    assert 'data-view="week"' in page.text and "07 Dec – 13 Dec 2026" in page.text
    assert 'href="/calendar?view=week&amp;date=2026-11-30"' in page.text  # previous week
    assert 'href="/calendar?view=week&amp;date=2026-12-14"' in page.text  # next week
    month = logged_in.client.get("/calendar?view=month&date=2026-12-10")
    assert 'href="/calendar?view=month&amp;date=2026-11-01"' in month.text
    assert f'date={utcnow().date().isoformat()}' in month.text  # today


def test_filters_and_feed(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    now = utcnow()
    email = make_campaign(session, ws, (Channel.EMAIL,), status=CampaignStatus.RUNNING, launched_at=now)
    sms = make_campaign(session, ws, (Channel.SMS,), status=CampaignStatus.RUNNING, launched_at=now)
    session.commit()
    page = logged_in.client.get("/calendar?channel=sms")
    assert f'data-campaign="{sms.id}"' in page.text and f'data-campaign="{email.id}"' not in page.text
    assert '<option value="sms" selected>' in page.text
    ignored = logged_in.client.get("/calendar?channel=fax&owner_id=abc")  # stale filters are dropped
    assert ignored.status_code == 200 and f'data-campaign="{email.id}"' in ignored.text
    assert logged_in.client.get("/calendar?date=2026-02-30").status_code == 400
    feed = logged_in.client.get("/calendar.ics?channel=email")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    uids = {str(e["uid"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert uids == {f"campaign-{email.id}-launched@127.0.0.1"}


def test_viewer_reads_and_anonymous_is_sent_to_login(logged_in: LoggedIn, session: Session) -> None:
    email = f"{unique('viewer')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=Role.VIEWER)
    session.commit()
    assert login(logged_in.client, email).status_code == 303
    assert logged_in.client.get("/calendar").status_code == 200
    logged_in.client.cookies.clear()
    assert logged_in.client.get("/calendar", follow_redirects=False).status_code == 303
    assert logged_in.client.get("/calendar.ics", follow_redirects=False).status_code == 303
