"""Conversion paths imported from other tools: the CSV format, and every model run over the path rows.

One row per distinct path, as attribution tools export them: `path` (`search > email > display`),
`total_conversions`, `total_conversion_value`, `total_null`. Headers are matched case-insensitively
with common variants; `>` may have spaces around it or not. Pure functions, no database.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kempen.attribution.markov import PathCount, markov_attribution
from kempen.attribution.rules import DEFAULT_HALF_LIFE_DAYS, rule_weights, step_ages
from kempen.attribution.types import AttributionModel
from kempen.kit.errors import InvalidInput

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_PATH_LENGTH = 200

HEADER_VARIANTS = {
    "path": ("path", "paths", "channel_path", "conversion_path", "touchpoints", "touchpoint_path"),
    "conversions": ("total_conversions", "conversions", "total_conversion", "conversion", "conv"),
    "value": ("total_conversion_value", "conversion_value", "total_value", "value", "revenue", "total_revenue"),
    "null": ("total_null", "null", "nulls", "total_nulls", "non_conversions", "total_non_conversions"),
}


@dataclass(frozen=True, slots=True)
class PathRow:
    """One distinct path and its totals."""

    channels: tuple[str, ...]
    conversions: float
    value: Decimal
    null: int

    def as_json(self) -> dict[str, Any]:
        return {"path": list(self.channels), "conversions": self.conversions, "value": str(self.value),
                "null": self.null}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PathRow:
        return cls(tuple(data["path"]), float(data["conversions"]), Decimal(data["value"]), int(data["null"]))


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """What one model credits to one channel over all paths."""

    channel: str
    conversions: float
    value: Decimal
    share: float


def _normalise_header(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _columns(headers: Sequence[str]) -> dict[str, int]:
    """Which column holds each field; InvalidInput naming what is missing."""
    found: dict[str, int] = {}
    normalised = [_normalise_header(h) for h in headers]
    for field_name, variants in HEADER_VARIANTS.items():
        for i, header in enumerate(normalised):
            if header in variants:
                found[field_name] = i
                break
    missing = [HEADER_VARIANTS[f][0] for f in ("path", "conversions") if f not in found]
    if missing:
        raise InvalidInput(f"The file has no {' or '.join(missing)} column.",
                           errors=[{"headers_found": list(headers)}])
    return found


def parse_path(text: str) -> tuple[str, ...]:
    """Split `search > email>display` into channel names."""
    channels = tuple(part.strip() for part in text.split(">"))
    if not text.strip() or any(not c for c in channels):
        raise ValueError(f"the path {text[:40]!r} has an empty step")
    if len(channels) > MAX_PATH_LENGTH:
        raise ValueError(f"the path has {len(channels)} steps (at most {MAX_PATH_LENGTH})")
    return channels


def _number(text: str, name: str, *, integer: bool = False) -> Decimal:
    value = text.strip().replace(" ", "") or "0"
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name} {text!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be zero or more, not {text!r}")
    if integer and number != number.to_integral_value():
        raise ValueError(f"{name} must be a whole number, not {text!r}")
    return number


def _row(cells: list[str], columns: dict[str, int]) -> PathRow:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    return PathRow(
        channels=parse_path(cell("path")),
        conversions=float(_number(cell("conversions"), "total_conversions")),
        value=_number(cell("value"), "total_conversion_value").quantize(Decimal("0.01")),
        null=int(_number(cell("null"), "total_null", integer=True)))


def parse_paths_csv(data: bytes | str) -> list[PathRow]:
    """Read a paths CSV (comma, semicolon or tab separated); InvalidInput with the row number of a bad row."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("The file is not UTF-8 text.") from None
    first_line = data.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(data), delimiter=delimiter)
    headers = next(reader, None)
    if not headers:
        raise InvalidInput("The file is empty: expected a header row with path and total_conversions.")
    columns = _columns(headers)
    rows: list[PathRow] = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(f"The file has more than {MAX_ROWS} paths.")
        try:
            rows.append(_row(cells, columns))
        except ValueError as exc:
            raise InvalidInput(f"Row {line}: {exc}.") from None
    if not rows:
        raise InvalidInput("The file has a header but no paths.")
    return merge_rows(rows)


def merge_rows(rows: Iterable[PathRow]) -> list[PathRow]:
    """Add up rows that name the same path (keeping the first one's place)."""
    merged: dict[tuple[str, ...], PathRow] = {}
    for row in rows:
        seen = merged.get(row.channels)
        merged[row.channels] = row if seen is None else PathRow(
            row.channels, seen.conversions + row.conversions, seen.value + row.value, seen.null + row.null)
    return list(merged.values())


def attribute_paths(rows: Sequence[PathRow], model: AttributionModel, *,
                    half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> list[ChannelResult]:
    """Conversions, value and share per channel under one model, largest first.

    Time decay has no timestamps here: touches are taken as one day apart, the last on the day of
    the conversion, and decay with the half-life in days. Rule models keep repeated channels as
    separate touches (`a > b > a` gives `a` two positions); Markov collapses them (no effect on it).
    """
    conversions: dict[str, float] = defaultdict(float)
    value: dict[str, float] = defaultdict(float)
    if model == AttributionModel.MARKOV:
        result = markov_attribution(PathCount(r.channels, r.conversions, r.null, float(r.value)) for r in rows)
        conversions.update(result.conversions)  # type: ignore[arg-type]
        value.update(result.value)  # type: ignore[arg-type]
    else:
        for row in rows:
            weights = rule_weights(model, step_ages(len(row.channels)), half_life_days=half_life_days)
            for channel, weight in zip(row.channels, weights, strict=True):
                conversions[channel] += weight * row.conversions
                value[channel] += weight * float(row.value)
    for row in rows:  # every channel appears in the result, with 0 if nothing was credited to it
        for channel in row.channels:
            conversions.setdefault(channel, 0.0)
    total = sum(conversions.values())
    results = [ChannelResult(channel, conversions[channel], Decimal(value.get(channel, 0.0)).quantize(Decimal("0.01")),
                             conversions[channel] / total if total > 0 else 0.0) for channel in conversions]
    return sorted(results, key=lambda r: (-r.conversions, r.channel))


def compare_models(rows: Sequence[PathRow], *,
                   half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> dict[AttributionModel, list[ChannelResult]]:
    """Every model's results over the same paths."""
    return {model: attribute_paths(rows, model, half_life_days=half_life_days) for model in AttributionModel}
