"""Quiet hours in the contact's own time zone, wrapping past midnight, across clock changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kempen.delivery.quiet_hours import quiet_until, zone

NIGHT = (21 * 60, 8 * 60)      # 21:00-08:00, wraps midnight
LUNCH = (12 * 60, 13 * 60 + 30)  # 12:00-13:30


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_outside_quiet_hours_sends_now() -> None:
    assert quiet_until(at(2026, 6, 1, 10, 0), ZoneInfo("Europe/Amsterdam"), *NIGHT) is None  # 12:00 local
    assert quiet_until(at(2026, 6, 1, 10, 0), ZoneInfo("UTC"), 0, 0) is None  # start == end: none


def test_before_midnight_waits_until_tomorrow_morning_local() -> None:
    # 21:30 UTC = 23:30 in Amsterdam (CEST, +2): quiet until 08:00 local the next day = 06:00 UTC.
    assert quiet_until(at(2026, 6, 1, 21, 30), ZoneInfo("Europe/Amsterdam"), *NIGHT) == at(2026, 6, 2, 6, 0)


def test_after_midnight_waits_until_this_morning_local() -> None:
    # 16:00 UTC = 01:00 next day in Tokyo (+9): quiet until 08:00 Tokyo = 23:00 UTC the same UTC day.
    assert quiet_until(at(2026, 6, 1, 16, 0), ZoneInfo("Asia/Tokyo"), *NIGHT) == at(2026, 6, 1, 23, 0)


def test_the_same_moment_is_quiet_in_one_zone_and_not_in_another() -> None:
    moment = at(2026, 6, 1, 3, 0)  # 05:00 in Amsterdam (quiet), 23:00 the day before in New York (quiet)
    assert quiet_until(moment, ZoneInfo("Europe/Amsterdam"), *NIGHT) == at(2026, 6, 1, 6, 0)
    assert quiet_until(moment, ZoneInfo("America/New_York"), *NIGHT) == at(2026, 6, 1, 12, 0)
    assert quiet_until(moment, ZoneInfo("Asia/Kolkata"), *NIGHT) is None  # 08:30 local


def test_daytime_window_and_its_edges() -> None:
    utc = ZoneInfo("UTC")
    assert quiet_until(at(2026, 6, 1, 12, 0), utc, *LUNCH) == at(2026, 6, 1, 13, 30)
    assert quiet_until(at(2026, 6, 1, 13, 30), utc, *LUNCH) is None  # the end is allowed
    assert quiet_until(at(2026, 6, 1, 11, 59), utc, *LUNCH) is None


def test_end_on_a_clock_change_day_is_local_wall_time() -> None:
    # Europe/Amsterdam springs forward on 2026-03-29 at 02:00; 08:00 local that day is 06:00 UTC (CEST).
    assert quiet_until(at(2026, 3, 28, 22, 0), ZoneInfo("Europe/Amsterdam"), *NIGHT) == at(2026, 3, 29, 6, 0)
    # An end inside the gap (02:30 does not exist that day) moves past it, never before now.
    result = quiet_until(at(2026, 3, 28, 23, 30), ZoneInfo("Europe/Amsterdam"), 0, 150)
    assert result is not None and result >= at(2026, 3, 28, 23, 30) and result <= at(2026, 3, 29, 1, 30)


def test_unknown_zone_names_are_none() -> None:
    assert zone("Mars/Olympus") is None and zone("") is None and zone(None) is None
    assert zone("Europe/Lisbon") == ZoneInfo("Europe/Lisbon")
