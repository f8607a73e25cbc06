"""Quiet hours in a contact's own time zone: a message due inside them waits until they end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo | None:
    """The time zone of that name, or None for a missing or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def quiet_until(now: datetime, tz: ZoneInfo, start: int, end: int) -> datetime | None:
    """When quiet hours that hold at `now` end (UTC), or None when sending is allowed now.

    `start` and `end` are minutes after local midnight; start > end wraps past midnight (21:00–08:00),
    start == end means no quiet hours. The end is a local wall-clock time: on a day when the clocks
    change, the first valid moment at or after it is taken.
    """
    if start == end:
        return None
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start < end:
        if not start <= minute < end:
            return None
        day = local.date()
    else:
        if end <= minute < start:
            return None
        # Before midnight the quiet period ends tomorrow; after midnight, today.
        day = local.date() + timedelta(days=1) if minute >= start else local.date()
    wall = datetime(day.year, day.month, day.day, end // 60, end % 60, tzinfo=tz)
    # A wall time inside a spring-forward gap does not exist; round trip through UTC moves it past the gap.
    return max(wall.astimezone(UTC), now.astimezone(UTC))
