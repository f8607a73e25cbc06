"""The calendar page: a month or week of campaign events, filtered, navigated with HTMX; and its .ics feed.

Days are UTC days (the page says so). Navigation and filters swap only the #calendar region (HTMX) and
push the URL, so the back button and a shared link show the same view; without JavaScript the same
links load the whole page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from kempen.config import get_settings
from kempen.http.deps import SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput
from kempen.kit.ids import MAX_ID
from kempen.models import Channel
from kempen.planning import calendar, calendar_feed, ics
from kempen.planning.calendar import CalendarFilters
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class View:
    """What the page shows: month or week, the day it is anchored on, and the filters (as given)."""

    kind: str
    anchor: date
    channel: str
    programme_id: str
    owner_id: str

    def filters(self) -> CalendarFilters:
        return CalendarFilters(channel=Channel(self.channel) if self.channel else None,
                               programme_id=int(self.programme_id) if self.programme_id else None,
                               owner_id=int(self.owner_id) if self.owner_id else None)

    def query(self, **changes: str) -> str:
        params = {"view": self.kind, "date": self.anchor.isoformat(), "channel": self.channel,
                  "programme_id": self.programme_id, "owner_id": self.owner_id} | changes
        return urlencode({k: v for k, v in params.items() if v})

    def filter_query(self) -> str:
        return urlencode({k: v for k, v in (("channel", self.channel), ("programme_id", self.programme_id),
                                            ("owner_id", self.owner_id)) if v})


def _id_text(value: str | None) -> str:
    # A filter the page cannot use is dropped rather than refused: it came from an old or edited link.
    return value if value and value.isdigit() and 1 <= int(value) <= MAX_ID else ""


def parse_view(view: str | None, day: str | None, month: str | None, channel: str | None,
               programme_id: str | None, owner_id: str | None, today: date) -> View:
    anchor = today
    if month:
        anchor = calendar.parse_month(month, today)
    elif day:
        try:
            anchor = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{day!r} is not a date; write it as YYYY-MM-DD.") from None
    known = {ch.value for ch in Channel}
    return View(kind="week" if view == "week" else "month", anchor=anchor,
                channel=channel if channel in known else "", programme_id=_id_text(programme_id),
                owner_id=_id_text(owner_id))


def _period(view: View) -> tuple[date, date, str, date, date]:
    """(first day shown, day after the last, title, previous anchor, next anchor)."""
    if view.kind == "week":
        monday = calendar.week_start(view.anchor)
        sunday = monday + timedelta(days=6)
        title = f"{monday:%d %b} – {sunday:%d %b %Y}" if monday.year == sunday.year else \
            f"{monday:%d %b %Y} – {sunday:%d %b %Y}"
        return monday, monday + timedelta(days=7), title, monday - timedelta(days=7), monday + timedelta(days=7)
    first = view.anchor.replace(day=1)
    start, end = calendar.month_grid_range(first)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return start, end, f"{first:%B %Y}", previous, following


def _context(session: SessionDep, ctx: WebContext, view: View) -> dict[str, object]:
    today = utcnow().date()
    start, end, title, previous, following = _period(view)
    events = calendar.list_events(session, workspace_id=ctx.workspace_id, since=calendar.day_start(start),
                                  until=calendar.day_start(end), filters=view.filters())
    if view.kind == "week":
        weeks = [calendar.week_days(start, events, today)]
    else:
        weeks = calendar.month_weeks(view.anchor.replace(day=1), events, today)
    return {"ctx": ctx, "nav": "calendar", "view": view, "weeks": weeks, "title": title, "weekdays": WEEKDAYS,
            "prev_query": view.query(date=previous.isoformat()), "next_query": view.query(date=following.isoformat()),
            "today_query": view.query(date=today.isoformat()), "event_count": len(events),
            "choices": calendar.filter_choices(session, workspace_id=ctx.workspace_id),
            "feed_url": calendar_feed.feed_url(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id,
                                               base_url=get_settings().base_url, filters=view.filters())}


@router.get("/calendar")
def calendar_page(request: Request, session: SessionDep, ctx: WebUser, view: str | None = None,
                  date: str | None = None, month: str | None = None, channel: str | None = None,
                  programme_id: str | None = None, owner_id: str | None = None, feed: str | None = None) -> Response:
    """The month (default) or week view; an HTMX request gets only the calendar region."""
    try:
        shown = parse_view(view, date, month, channel, programme_id, owner_id, utcnow().date())
    except InvalidInput as exc:
        return render(request, "error.html", {"ctx": ctx, "nav": "calendar", "status_code": 400,
                                              "title": "That is not a day", "message": exc.detail}, status_code=400)
    context = _context(session, ctx, shown) | {"feed_reset": feed == "reset"}
    if request.headers.get("HX-Request"):
        # The address bar gets the tidy address of what is shown (a filter form also sends its empty fields).
        return render(request, "calendar/_calendar.html", context, headers={"HX-Push-Url": f"/calendar?{shown.query()}"})
    return render(request, "calendar/page.html", context)


@router.get("/calendar.ics")
def calendar_feed_download(session: SessionDep, ctx: WebUser, channel: str | None = None,
                           programme_id: str | None = None, owner_id: str | None = None) -> Response:
    """The filtered calendar as iCalendar: from two months ago to eleven months ahead."""
    shown = parse_view(None, None, None, channel, programme_id, owner_id, utcnow().date())
    since, until = calendar_feed.feed_window(shown.anchor)
    events = calendar.list_events(session, workspace_id=ctx.workspace_id, since=calendar.day_start(since),
                                  until=calendar.day_start(until), filters=shown.filters())
    body = ics.to_ics(events, base_url=get_settings().base_url, generated_at=_now())
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kempen-calendar.ics"'})


@router.get("/calendar/feed/{token}.ics")
def subscribed_feed(session: SessionDep, token: str) -> Response:
    """A member's secret feed, for calendar apps (no login: the signed token is the credential; else 404)."""
    access = calendar_feed.open_feed(session, token)
    events = calendar_feed.feed_events(session, access, today=utcnow().date())
    body = ics.to_ics(events, base_url=get_settings().base_url, generated_at=_now())
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": calendar_feed.CACHE_CONTROL, "X-Robots-Tag": "noindex",
                             "Referrer-Policy": "no-referrer"})


@router.post("/calendar/feed/reset")
def reset_feed(session: SessionDep, ctx: CsrfChecked) -> Response:
    """Give the member a new feed URL; every old one stops working."""
    calendar_feed.reset_feed(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                             user_id=ctx.user.id)
    return RedirectResponse("/calendar?feed=reset#calendar-subscribe", status_code=303)


def _now() -> datetime:
    return utcnow()
