"""Epoch seconds to the text each database stores or parses, vectorised."""

from __future__ import annotations

from functools import cache

import numpy as np

_DAY = 86_400


@cache
def _times_of_day(dialect: str) -> np.ndarray:
    """Return the text of every second of a day ("HH:MM:SS…"), with the dialect's suffix."""
    stamps = np.datetime_as_string(np.arange(_DAY).astype("M8[s]"), unit="us")
    times = np.strings.slice(stamps, 10, None)  # drop the date, keep "THH:MM:SS.ffffff"
    times = np.strings.replace(times, "T", " ")
    return np.strings.add(times, "+00") if dialect == "postgresql" else times


def to_datetime_strings(seconds: np.ndarray, dialect: str) -> list[str]:
    """Format UTC epoch seconds for `dialect`.

    SQLite gets exactly what SQLAlchemy's DateTime writes there (naive UTC with microseconds), so the
    strings compare correctly with bound parameters; PostgreSQL gets ISO text with an explicit UTC offset.
    Dates and times of day are looked up in small tables: numpy formats each distinct value only once.
    """
    if not len(seconds):
        return []  # numpy's string functions reject empty arrays
    seconds = np.asarray(seconds, dtype=np.int64)
    days = seconds // _DAY
    first_day = int(days.min())
    day_texts = np.datetime_as_string(np.arange(first_day, int(days.max()) + 1).astype("M8[D]"))
    return np.strings.add(day_texts[days - first_day], _times_of_day(dialect)[seconds % _DAY]).tolist()
