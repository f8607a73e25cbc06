"""The calendar API: JSON and iCalendar (parsed back with icalendar), filters, roles."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar
from sqlalchemy.orm import Session

from kempen.models import CampaignStatus, Channel, Role
from kempen.planning import calendar
from tests.conftest import Tenant
from tests.planning.test_calendar import make_campaign


def test_ics_parses_back_with_one_event_per_send_and_stable_uids(session: Session, tenant: Tenant) -> None:
    sent = make_campaign(session, tenant.id, (Channel.EMAIL,), status=CampaignStatus.SCHEDULED,
                         scheduled_at=datetime(2026, 12, 10, 9, 30, tzinfo=UTC))
    planned = make_campaign(session, tenant.id, (Channel.SMS,))
    calendar.set_planned_period(session, workspace_id=tenant.id, actor="user:1", campaign_id=planned.id,
                                starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3))
    session.commit()
    query = "/api/v1/calendar?since=2026-12-01&until=2026-12-31&format=ics"
    response = tenant.client.get(query, headers=tenant.headers(Role.VIEWER))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    parsed = Calendar.from_ical(response.content)
    vevents = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    send = vevents[f"campaign-{sent.id}-scheduled@127.0.0.1"]
    assert send.decoded("dtstart") == datetime(2026, 12, 10, 9, 30, tzinfo=UTC) and "DTEND" not in send
    assert b"DTSTART:20261210T093000Z" in response.content  # UTC, written with a Z
    assert str(send["url"]).endswith(f"/campaigns/{sent.id}")
    assert sent.name in str(send["summary"])
    period = vevents[f"campaign-{planned.id}-planned@127.0.0.1"]
    assert period.decoded("dtstart") == date(2026, 12, 1) and period.decoded("dtend") == date(2026, 12, 4)
    assert len(vevents) == 2
    again = Calendar.from_ical(tenant.client.get(query, headers=tenant.headers(Role.VIEWER)).content)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(vevents)
    only_sms = Calendar.from_ical(tenant.client.get(query + "&channel=sms", headers=tenant.headers()).content)
    assert [str(e["uid"]) for e in only_sms.walk("VEVENT")] == [f"campaign-{planned.id}-planned@127.0.0.1"]


def test_json_with_filters_and_errors(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    mine = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING,
                         launched_at=datetime(2026, 12, 31, 23, 0, tzinfo=UTC), owner_id=tenant.owner_id)
    make_campaign(session, other_tenant.id, status=CampaignStatus.RUNNING,
                  launched_at=datetime(2026, 12, 5, tzinfo=UTC))
    session.commit()
    found = tenant.client.get("/api/v1/calendar?since=2026-12-01&until=2026-12-31", headers=tenant.headers(Role.VIEWER))
    assert [(e["campaign_id"], e["kind"]) for e in found.json()] == [(mine.id, "launched")]
    assert found.json()[0]["starts_at"].startswith("2026-12-31T23:00:00")
    owner = tenant.client.get(f"/api/v1/calendar?since=2026-12-01&until=2026-12-31&owner_id={tenant.owner_id + 1}",
                              headers=tenant.headers()).json()
    assert owner == []
    assert tenant.client.get("/api/v1/calendar").status_code == 401
    for bad in ("since=2026-12-31&until=2026-12-01", "channel=fax", "since=2026-01-01&until=2027-12-31",
                "format=pdf"):
        response = tenant.client.get(f"/api/v1/calendar?{bad}", headers=tenant.headers())
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
