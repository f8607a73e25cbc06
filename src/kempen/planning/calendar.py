"""The campaign calendar: planned periods, scheduled and actual sends, finishes, bucketed into months and weeks.

Every time here is UTC, and a day is a UTC day: an event at 23:30 UTC on the 31st is on the 31st even
for a viewer east of Greenwich (the pages say "times in UTC"). Weeks start on Monday (ISO 8601).

Events of a campaign (one each, with a stable UID so a subscribed calendar updates rather than duplicates):
- planned: its planned period (campaign_planned_periods), all-day, first to last day inclusive;
- scheduled: the scheduled send (`scheduled_at`) of a scheduled campaign;
- launched: when it was launched (the send started);
- winner: an automatic-winner campaign's send to the rest (planned at `winner_decide_at`, or done);
- finished: when it completed or was cancelled.
TODO(journeys): journey starts belong here too once journeys exist (kind "journey", from the journey's
start time and its entry channel); the filters below apply to them unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns.service import get_campaign_or_raise
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import (
    Campaign,
    CampaignMessage,
    CampaignPlannedPeriod,
    CampaignStatus,
    Channel,
    Membership,
    Programme,
    User,
)

EventKind = Literal["planned", "scheduled", "launched", "winner", "finished"]
KIND_LABELS: dict[str, str] = {"planned": "Planned", "scheduled": "Scheduled send", "launched": "Launched",
                               "winner": "Winner send", "finished": "Finished"}
MAX_RANGE = timedelta(days=400)


@dataclass(frozen=True)
class CalendarFilters:
    channel: Channel | None = None
    programme_id: int | None = None
    owner_id: int | None = None


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    kind: EventKind
    campaign_id: int
    campaign_name: str
    status: CampaignStatus
    channels: tuple[str, ...]
    programme_id: int | None
    owner_id: int | None
    starts_at: datetime              # UTC; midnight of the first day for an all-day event
    ends_at: datetime | None = None  # all-day: midnight after the last day (exclusive)
    all_day: bool = False

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def first_day(self) -> date:
        return self.starts_at.date()

    @property
    def last_day(self) -> date:
        if self.all_day and self.ends_at is not None:
            return (self.ends_at - timedelta(days=1)).date()
        return self.starts_at.date()


@dataclass
class Day:
    day: date
    in_period: bool
    is_today: bool
    events: list[CalendarEvent] = field(default_factory=list)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def check_range(since: datetime, until: datetime) -> None:
    if until <= since:
        raise InvalidInput("`until` must be after `since`.")
    if until - since > MAX_RANGE:
        raise InvalidInput("A calendar covers at most 400 days at once; ask for a shorter range.")


def list_events(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                filters: CalendarFilters = CalendarFilters()) -> list[CalendarEvent]:
    """The workspace's campaign events that touch [since, until) (UTC), in time order."""
    check_range(since, until)
    rows = session.execute(_campaigns_in_range(workspace_id, since, until, filters)).all()
    channels = _channels_of(session, workspace_id, [campaign.id for campaign, _ in rows])
    events = [event for campaign, period in rows
              for event in _events_of(campaign, period, channels.get(campaign.id, ()))
              if event.starts_at < until and (event.ends_at or event.starts_at + timedelta(seconds=1)) > since]
    return sorted(events, key=lambda e: (e.starts_at, not e.all_day, e.campaign_name, e.kind))


def _campaigns_in_range(workspace_id: int, since: datetime, until: datetime,
                        filters: CalendarFilters) -> Select[Campaign, CampaignPlannedPeriod]:
    c, p = Campaign, CampaignPlannedPeriod

    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= since, column < until)

    touches = or_(within(c.scheduled_at), within(c.launched_at), within(c.finished_at),
                  within(c.winner_decide_at), within(c.winner_decided_at),
                  and_(p.starts_on < until.date() + timedelta(days=1), p.ends_on >= since.date()))
    stmt = (select(c, p).outerjoin(p, and_(p.campaign_id == c.id, p.workspace_id == c.workspace_id))
            .where(c.workspace_id == workspace_id, c.status != CampaignStatus.ARCHIVED, touches))
    if filters.channel is not None:
        stmt = stmt.where(exists().where(CampaignMessage.workspace_id == workspace_id,
                                         CampaignMessage.campaign_id == c.id,
                                         CampaignMessage.channel == filters.channel))
    if filters.programme_id is not None:
        stmt = stmt.where(c.programme_id == filters.programme_id)
    if filters.owner_id is not None:
        stmt = stmt.where(c.owner_id == filters.owner_id)
    return stmt


def _channels_of(session: Session, workspace_id: int, campaign_ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, set[str]] = defaultdict(set)
    if campaign_ids:
        for campaign_id, channel in session.execute(select(CampaignMessage.campaign_id, CampaignMessage.channel).where(
                CampaignMessage.workspace_id == workspace_id, CampaignMessage.campaign_id.in_(campaign_ids))):
            found[campaign_id].add(str(channel))
    return {cid: tuple(sorted(chs)) for cid, chs in found.items()}


def _events_of(campaign: Campaign, period: CampaignPlannedPeriod | None,
               channels: tuple[str, ...]) -> list[CalendarEvent]:
    def event(kind: EventKind, at: datetime, ends_at: datetime | None = None, all_day: bool = False) -> CalendarEvent:
        return CalendarEvent(uid=f"campaign-{campaign.id}-{kind}", kind=kind, campaign_id=campaign.id,
                             campaign_name=campaign.name, status=campaign.status, channels=channels,
                             programme_id=campaign.programme_id, owner_id=campaign.owner_id, starts_at=at,
                             ends_at=ends_at, all_day=all_day)

    events = []
    if period is not None:
        events.append(event("planned", day_start(period.starts_on),
                            ends_at=day_start(period.ends_on + timedelta(days=1)), all_day=True))
    if campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at is not None:
        events.append(event("scheduled", campaign.scheduled_at))
    if campaign.launched_at is not None:
        events.append(event("launched", campaign.launched_at))
    winner_at = campaign.winner_decided_at or campaign.winner_decide_at
    if campaign.winner_metric and winner_at is not None:
        events.append(event("winner", winner_at))
    if campaign.finished_at is not None:
        events.append(event("finished", campaign.finished_at))
    return events


# Planned periods

def get_planned_period(session: Session, *, workspace_id: int, campaign_id: int) -> CampaignPlannedPeriod | None:
    return session.scalar(select(CampaignPlannedPeriod).where(CampaignPlannedPeriod.workspace_id == workspace_id,
                                                               CampaignPlannedPeriod.campaign_id == campaign_id))


def set_planned_period(session: Session, *, workspace_id: int, actor: str, campaign_id: int, starts_on: date,
                       ends_on: date) -> CampaignPlannedPeriod:
    """Plan the days a campaign runs (first and last day, inclusive)."""
    get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if ends_on < starts_on:
        raise InvalidInput("The planned period ends before it starts.")
    row = get_planned_period(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if row is None:
        row = CampaignPlannedPeriod(workspace_id=workspace_id, campaign_id=campaign_id)
        session.add(row)
    row.starts_on, row.ends_on = starts_on, ends_on
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.planned_period_set",
                 entity_type="campaign", entity_id=campaign_id,
                 details={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    return row


def clear_planned_period(session: Session, *, workspace_id: int, actor: str, campaign_id: int) -> None:
    """Remove a campaign's planned period; 404 if it has none."""
    row = get_planned_period(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if row is None:
        get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
        raise NotFound("This campaign has no planned period.")
    session.delete(row)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.planned_period_cleared",
                 entity_type="campaign", entity_id=campaign_id, details={})


# Months and weeks

def parse_month(text: str | None, today: date) -> date:
    """'2026-12' → 2026-12-01; None → this month."""
    if not text:
        return today.replace(day=1)
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise InvalidInput(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-12.") from None


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_grid_range(month: date) -> tuple[date, date]:
    """The Monday on or before the 1st and the Monday after the month's last week (exclusive)."""
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return week_start(first), week_start(following - timedelta(days=1)) + timedelta(days=7)


def bucket_days(start: date, end: date, events: list[CalendarEvent], *, period: tuple[date, date],
                today: date) -> list[Day]:
    """One Day per date in [start, end), each with the events on it (an all-day span is on each of its days)."""
    days = {start + timedelta(days=i): Day(day=start + timedelta(days=i),
                                           in_period=period[0] <= start + timedelta(days=i) < period[1],
                                           is_today=start + timedelta(days=i) == today)
            for i in range((end - start).days)}
    for event in events:
        day = max(event.first_day, start)
        while day <= event.last_day and day < end:
            days[day].events.append(event)
            day += timedelta(days=1)
    return [days[d] for d in sorted(days)]


def month_weeks(month: date, events: list[CalendarEvent], today: date) -> list[list[Day]]:
    """The month as weeks (Monday first) of days, including the neighbouring months' days that fill them."""
    start, end = month_grid_range(month)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    days = bucket_days(start, end, events, period=(month, following), today=today)
    return [days[i:i + 7] for i in range(0, len(days), 7)]


def week_days(monday: date, events: list[CalendarEvent], today: date) -> list[Day]:
    end = monday + timedelta(days=7)
    return bucket_days(monday, end, events, period=(monday, end), today=today)


# What the filters offer

def filter_choices(session: Session, *, workspace_id: int) -> dict[str, list[tuple[str, str]]]:
    """The channels, programmes and owners (members of the workspace) to filter by, as (value, label)."""
    programmes = session.execute(select(Programme.id, Programme.name).where(
        Programme.workspace_id == workspace_id).order_by(Programme.name))
    owners = session.execute(select(User.id, User.name, User.email).join(
        Membership, Membership.user_id == User.id).where(Membership.workspace_id == workspace_id)
        .order_by(User.name, User.email))
    return {"channel": [(ch.value, ch.value.replace("_", " ")) for ch in Channel],
            "programme": [(str(pid), name) for pid, name in programmes],
            "owner": [(str(uid), name or email) for uid, name, email in owners]}
