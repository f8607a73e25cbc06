"""The calendar as iCalendar (RFC 5545), for Google Calendar, Outlook or Apple Calendar.

One VEVENT per calendar event (each send, the planned period, the finish), with the event's stable UID
(`campaign-<id>-<kind>@<host>`) so a subscribed calendar updates events instead of duplicating them.
Timed events are written in UTC (a trailing Z); planned periods as all-day dates (DTEND exclusive).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from kempen.planning.calendar import CalendarEvent

PRODUCT_ID = "-//Kempen//Campaign calendar//EN"


def to_ics(events: Iterable[CalendarEvent], *, base_url: str, generated_at: datetime,
           name: str = "Kempen campaigns") -> bytes:
    """The events as one VCALENDAR; URLs point at each campaign's page under `base_url`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    host = urlsplit(base_url).hostname or "kempen"
    for event in events:
        calendar.add_component(_vevent(event, base_url.rstrip("/"), host, generated_at))
    return calendar.to_ical()


def _vevent(event: CalendarEvent, base_url: str, host: str, generated_at: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", f"{event.uid}@{host}")
    vevent.add("dtstamp", generated_at)
    vevent.add("summary", f"{event.campaign_name}: {event.label.lower()}")
    if event.all_day and event.ends_at is not None:
        vevent.add("dtstart", event.first_day)
        vevent.add("dtend", event.ends_at.date())
    else:  # a moment (a send, a launch): no DTEND, which RFC 5545 reads as ending when it starts
        vevent.add("dtstart", event.starts_at)
    url = f"{base_url}/campaigns/{event.campaign_id}"
    vevent.add("url", url)
    channels = ", ".join(event.channels) or "no messages yet"
    vevent.add("description", f"{event.label} — status {event.status.value.replace('_', ' ')}; "
                              f"channels: {channels}.\n{url}")
    vevent.add("categories", [event.kind, *event.channels])
    return vevent
