"""Epoch seconds to the text each database stores or parses, vectorised."""

from __future__ import annotations

import numpy as np


def to_datetime_strings(seconds: np.ndarray, dialect: str) -> list[str]:
    """Format UTC epoch seconds for `dialect`.

    SQLite gets exactly what SQLAlchemy's DateTime writes there (naive UTC with microseconds), so the
    strings compare correctly with bound parameters; PostgreSQL gets ISO text with an explicit UTC offset.
    """
    if not len(seconds):
        return []  # numpy's string functions reject empty arrays
    stamps = np.datetime_as_string(np.asarray(seconds, dtype=np.int64).astype("M8[s]"), unit="us")
    stamps = np.strings.replace(stamps, "T", " ")
    if dialect == "postgresql":
        stamps = np.strings.add(stamps, "+00")
    return stamps.tolist()
