"""The calendar: events of campaigns, month and week bucketing (UTC days), filters, planned periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import Campaign, CampaignMessage, CampaignStatus, Channel, Programme
from kempen.planning import calendar
from kempen.planning.calendar import CalendarFilters
from tests.conftest import Tenant, unique

DEC = datetime(2026, 12, 1, tzinfo=UTC)
JAN = datetime(2027, 1, 1, tzinfo=UTC)


def make_campaign(session: Session, workspace_id: int, channels: tuple[Channel, ...] = (Channel.EMAIL,),
                  **extra: object) -> Campaign:
    campaign = Campaign(workspace_id=workspace_id, name=unique("cal-"), **extra)
    session.add(campaign)
    session.flush()
    for channel in channels:
        session.add(CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=channel,
                                    name=channel.value))
    session.flush()
    return campaign


def events(session: Session, tenant: Tenant, since: datetime = DEC, until: datetime = JAN,
           **filters: object) -> list[tuple[int, str]]:
    found = calendar.list_events(session, workspace_id=tenant.id, since=since, until=until,
                                 filters=CalendarFilters(**filters))  # type: ignore[arg-type]
    return [(e.campaign_id, e.kind) for e in found]


def test_sends_launches_finishes_and_planned_periods_in_time_order(session: Session, tenant: Tenant) -> None:
    scheduled = make_campaign(session, tenant.id, status=CampaignStatus.SCHEDULED,
                              scheduled_at=datetime(2026, 12, 10, 9, tzinfo=UTC))
    done = make_campaign(session, tenant.id, status=CampaignStatus.COMPLETED,
                         launched_at=datetime(2026, 12, 2, 8, tzinfo=UTC), finished_at=datetime(2026, 12, 3, tzinfo=UTC))
    planned = make_campaign(session, tenant.id)
    calendar.set_planned_period(session, workspace_id=tenant.id, actor="user:1", campaign_id=planned.id,
                                starts_on=date(2026, 11, 28), ends_on=date(2026, 12, 5))
    make_campaign(session, tenant.id, status=CampaignStatus.COMPLETED,  # before the period: left out
                  launched_at=datetime(2026, 11, 2, tzinfo=UTC), finished_at=datetime(2026, 11, 3, tzinfo=UTC))
    make_campaign(session, tenant.id, status=CampaignStatus.ARCHIVED,  # archived: left out
                  launched_at=datetime(2026, 12, 2, tzinfo=UTC))
    assert events(session, tenant) == [(planned.id, "planned"), (done.id, "launched"), (done.id, "finished"),
                                       (scheduled.id, "scheduled")]


def test_month_boundaries_are_utc_days(session: Session, tenant: Tenant) -> None:
    late = make_campaign(session, tenant.id, status=CampaignStatus.COMPLETED,
                         launched_at=datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    early = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING,
                          launched_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    last = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING,
                         launched_at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    in_december = events(session, tenant)
    assert (early.id, "launched") in in_december and (last.id, "launched") in in_december
    assert (late.id, "launched") not in in_december
    found = calendar.list_events(session, workspace_id=tenant.id, since=DEC, until=JAN)
    weeks = calendar.month_weeks(date(2026, 12, 1), found, today=date(2026, 12, 15))
    # December 2026 starts on a Tuesday: the grid opens on Monday 30 November and ends on Sunday 3 January.
    assert weeks[0][0].day == date(2026, 11, 30) and not weeks[0][0].in_period
    assert weeks[-1][-1].day == date(2027, 1, 3) and len(weeks) == 5
    by_day = {d.day: [e.campaign_id for e in d.events] for week in weeks for d in week}
    assert early.id in by_day[date(2026, 12, 1)] and last.id in by_day[date(2026, 12, 31)]
    assert [d.is_today for week in weeks for d in week].count(True) == 1


def test_a_planned_period_fills_each_of_its_days_in_the_week(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    calendar.set_planned_period(session, workspace_id=tenant.id, actor="user:1", campaign_id=campaign.id,
                                starts_on=date(2026, 12, 9), ends_on=date(2026, 12, 11))
    monday = calendar.week_start(date(2026, 12, 10))
    assert monday == date(2026, 12, 7)
    found = calendar.list_events(session, workspace_id=tenant.id, since=calendar.day_start(monday),
                                 until=calendar.day_start(monday + timedelta(days=7)))
    days = calendar.week_days(monday, found, today=date(2026, 1, 1))
    assert [len(d.events) for d in days] == [0, 0, 1, 1, 1, 0, 0]
    # A period that starts before the week and ends inside it is shown from Monday.
    calendar.set_planned_period(session, workspace_id=tenant.id, actor="user:1", campaign_id=campaign.id,
                                starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 8))
    found = calendar.list_events(session, workspace_id=tenant.id, since=calendar.day_start(monday),
                                 until=calendar.day_start(monday + timedelta(days=7)))
    assert [len(d.events) for d in calendar.week_days(monday, found, today=monday)] == [1, 1, 0, 0, 0, 0, 0]


def test_filters_by_channel_programme_and_owner(session: Session, tenant: Tenant) -> None:
    programme = Programme(workspace_id=tenant.id, name=unique("prog-"))
    session.add(programme)
    session.flush()
    at = datetime(2026, 12, 4, 12, tzinfo=UTC)
    email = make_campaign(session, tenant.id, (Channel.EMAIL,), status=CampaignStatus.RUNNING, launched_at=at,
                          programme_id=programme.id)
    sms = make_campaign(session, tenant.id, (Channel.SMS,), status=CampaignStatus.RUNNING, launched_at=at,
                        owner_id=tenant.owner_id)
    both = make_campaign(session, tenant.id, (Channel.EMAIL, Channel.SMS), status=CampaignStatus.RUNNING,
                         launched_at=at)
    assert {cid for cid, _ in events(session, tenant, channel=Channel.SMS)} == {sms.id, both.id}
    assert {cid for cid, _ in events(session, tenant, channel=Channel.EMAIL)} == {email.id, both.id}
    assert {cid for cid, _ in events(session, tenant, programme_id=programme.id)} == {email.id}
    assert {cid for cid, _ in events(session, tenant, owner_id=tenant.owner_id)} == {sms.id}
    assert events(session, tenant, channel=Channel.PUSH) == []
    [event] = [e for e in calendar.list_events(session, workspace_id=tenant.id, since=DEC, until=JAN)
               if e.campaign_id == both.id]
    assert event.channels == ("email", "sms")


def test_other_workspaces_are_invisible(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = make_campaign(session, other_tenant.id, status=CampaignStatus.RUNNING,
                           launched_at=datetime(2026, 12, 4, tzinfo=UTC))
    assert events(session, tenant) == []
    with pytest.raises(NotFound):
        calendar.set_planned_period(session, workspace_id=tenant.id, actor="user:1", campaign_id=theirs.id,
                                    starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 2))


def test_bad_ranges_and_months_are_refused(session: Session, tenant: Tenant) -> None:
    with pytest.raises(InvalidInput):
        calendar.list_events(session, workspace_id=tenant.id, since=JAN, until=DEC)
    with pytest.raises(InvalidInput):
        calendar.list_events(session, workspace_id=tenant.id, since=DEC, until=DEC + timedelta(days=500))
    with pytest.raises(InvalidInput):
        calendar.parse_month("2026-13", date(2026, 1, 1))
    assert calendar.parse_month(None, date(2026, 7, 19)) == date(2026, 7, 1)
    campaign = make_campaign(session, tenant.id)
    with pytest.raises(InvalidInput):
        calendar.set_planned_period(session, workspace_id=tenant.id, actor="user:1", campaign_id=campaign.id,
                                    starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 1))


def test_times_in_other_zones_fall_on_their_utc_day(session: Session, tenant: Tenant) -> None:
    kuala_lumpur = timezone(timedelta(hours=8))
    # 07:00 on 1 December in Kuala Lumpur is 23:00 on 30 November in UTC: a November event.
    campaign = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING,
                             launched_at=datetime(2026, 12, 1, 7, 0, tzinfo=kuala_lumpur))
    session.commit()
    session.expire_all()
    assert (campaign.id, "launched") not in events(session, tenant)
    [event] = calendar.list_events(session, workspace_id=tenant.id, since=datetime(2026, 11, 1, tzinfo=UTC),
                                   until=DEC)
    assert event.starts_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC) and event.first_day == date(2026, 11, 30)
