"""The campaign calendar: events in a period as JSON or iCalendar (viewers and up); members' feed URLs (admins).

API keys belong to the workspace, not to a member, while a feed URL is a member's own: so the feed-url
routes name the member (`user_id`) and need an admin's key, as managing members does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from kempen.config import get_settings
from kempen.http.deps import Admin, SessionDep, Viewer
from kempen.kit.clock import utcnow
from kempen.kit.ids import MAX_ID, RowId
from kempen.models import CampaignStatus, Channel
from kempen.planning import calendar, calendar_feed, ics

router = APIRouter(tags=["calendar"])
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class CalendarEventOut(BaseModel):
    uid: str
    kind: calendar.EventKind
    label: str
    campaign_id: int
    campaign_name: str
    status: CampaignStatus
    channels: list[str]
    programme_id: int | None
    owner_id: int | None
    starts_at: datetime
    ends_at: datetime | None
    all_day: bool
    url: str


def event_out(event: calendar.CalendarEvent, base_url: str) -> CalendarEventOut:
    return CalendarEventOut(uid=event.uid, kind=event.kind, label=event.label, campaign_id=event.campaign_id,
                            campaign_name=event.campaign_name, status=event.status, channels=list(event.channels),
                            programme_id=event.programme_id, owner_id=event.owner_id, starts_at=event.starts_at,
                            ends_at=event.ends_at, all_day=event.all_day,
                            url=f"{base_url.rstrip('/')}/campaigns/{event.campaign_id}")


def period(since: date | None, until: date | None) -> tuple[datetime, datetime]:
    """[since, until] in UTC days, `until` inclusive; default: this month."""
    start = since or utcnow().date().replace(day=1)
    end = until or (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return calendar.day_start(start), calendar.day_start(end + timedelta(days=1))


@router.get("/calendar", response_model=list[CalendarEventOut])
def get_calendar(session: SessionDep, principal: Viewer,
                 since: Annotated[date | None, Query(description="First day (UTC); default: the 1st of this month")] = None,
                 until: Annotated[date | None, Query(description="Last day, inclusive; default: end of `since`'s month")] = None,
                 channel: Channel | None = None, programme_id: IdQuery = None, owner_id: IdQuery = None,
                 format: Literal["json", "ics"] = "json") -> Any:
    """Campaign events (planned periods, scheduled and actual sends, finishes) in a period; `format=ics` for iCalendar."""
    start, end = period(since, until)
    events = calendar.list_events(session, workspace_id=principal.workspace_id, since=start, until=end,
                                  filters=calendar.CalendarFilters(channel=channel, programme_id=programme_id,
                                                                   owner_id=owner_id))
    base_url = get_settings().base_url
    if format == "ics":
        body = ics.to_ics(events, base_url=base_url, generated_at=utcnow())
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="kempen-calendar.ics"'})
    return [event_out(event, base_url) for event in events]


class FeedUrlOut(BaseModel):
    user_id: int
    url: str


class FeedUrlReset(BaseModel):
    user_id: RowId


def _feed_out(session: SessionDep, workspace_id: int, user_id: int, filters: calendar.CalendarFilters) -> FeedUrlOut:
    url = calendar_feed.feed_url(session, workspace_id=workspace_id, user_id=user_id,
                                 base_url=get_settings().base_url, filters=filters)
    return FeedUrlOut(user_id=user_id, url=url)


@router.get("/calendar/feed-url", response_model=FeedUrlOut)
def get_feed_url(session: SessionDep, principal: Admin,
                 user_id: Annotated[int, Query(ge=1, le=MAX_ID, description="The member whose feed it is")],
                 channel: Channel | None = None, programme_id: IdQuery = None, owner_id: IdQuery = None) -> Any:
    """A member's secret calendar feed URL (for calendar apps), with optional filters kept in it."""
    filters = calendar.CalendarFilters(channel=channel, programme_id=programme_id, owner_id=owner_id)
    return _feed_out(session, principal.workspace_id, user_id, filters)


@router.post("/calendar/feed-url/reset", response_model=FeedUrlOut)
def reset_feed_url(session: SessionDep, principal: Admin, data: FeedUrlReset) -> Any:
    """Invalidate every feed URL the member had; returns their new (unfiltered) one."""
    calendar_feed.reset_feed(session, workspace_id=principal.workspace_id, actor=principal.actor,
                             user_id=data.user_id)
    return _feed_out(session, principal.workspace_id, data.user_id, calendar.CalendarFilters())
