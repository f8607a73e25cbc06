"""Lists of numbers as people type them ("10000, 10000" or "10_000,9_950")."""

from __future__ import annotations

from typing import Any

from kempen.stats.types import StatsInputError


def parse_list(text: str | None, name: str, kind: type[int] | type[float]) -> list[Any] | None:
    """Comma-separated numbers, or None when nothing was given; StatsInputError names the field otherwise."""
    if text is None or not text.strip():
        return None
    try:
        return [kind(part.strip().replace("_", "")) for part in text.split(",")]
    except ValueError:
        what = "whole numbers" if kind is int else "numbers"
        raise StatsInputError(f"{name} takes {what} separated by commas, e.g. 10000,10000 (got {text!r}).") from None
