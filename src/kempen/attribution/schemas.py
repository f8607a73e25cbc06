"""API shapes for attribution: own-data summaries, path imports and their results per model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kempen.attribution.path_imports import import_rows
from kempen.attribution.paths import MAX_ROWS, ChannelResult, PathRow, parse_path
from kempen.attribution.summary import OwnSummary, SummaryRow
from kempen.attribution.types import AttributionModel
from kempen.models.tracking import AttributionPathImport


class PathRowIn(BaseModel):
    """One distinct path: `search > email` or ["search", "email"], with its totals."""

    model_config = ConfigDict(extra="forbid")

    path: str | list[Annotated[str, Field(min_length=1, max_length=200)]]
    total_conversions: Annotated[float, Field(ge=0)]
    total_conversion_value: Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)] = Decimal(0)
    total_null: Annotated[int, Field(ge=0)] = 0

    @field_validator("path")
    @classmethod
    def _split(cls, value: str | list[str]) -> list[str]:
        channels = list(parse_path(value)) if isinstance(value, str) else [c.strip() for c in value]
        if not channels or any(not c for c in channels):
            raise ValueError("a path needs at least one channel and no empty step")
        return channels

    def to_row(self) -> PathRow:
        return PathRow(tuple(self.path), self.total_conversions, self.total_conversion_value, self.total_null)


class PathImportCreate(BaseModel):
    """Paths sent as JSON rows instead of a CSV file."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    rows: Annotated[list[PathRowIn], Field(min_length=1, max_length=MAX_ROWS)]


class PathImportOut(BaseModel):
    id: int
    name: str
    filename: str
    paths: int
    total_conversions: float
    total_conversion_value: Decimal
    total_null: int
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, stored: AttributionPathImport) -> PathImportOut:
        rows = import_rows(stored)
        return cls(id=stored.id, name=stored.name, filename=stored.filename, paths=len(rows),
                   total_conversions=sum(r.conversions for r in rows),
                   total_conversion_value=sum((r.value for r in rows), Decimal(0)),
                   total_null=sum(r.null for r in rows), created_by=stored.created_by, created_at=stored.created_at)


class PathImportPage(BaseModel):
    items: list[PathImportOut]
    next_cursor: str | None


class ChannelResultOut(BaseModel):
    channel: str
    conversions: float
    value: Decimal
    share: float

    @classmethod
    def of(cls, r: ChannelResult) -> ChannelResultOut:
        return cls(channel=r.channel, conversions=round(r.conversions, 6), value=r.value, share=round(r.share, 6))


class PathImportResults(BaseModel):
    import_id: int
    half_life_days: float
    models: dict[AttributionModel, list[ChannelResultOut]]


class SummaryRowOut(BaseModel):
    key: str
    label: str
    conversions: float
    revenue: Decimal

    @classmethod
    def of(cls, r: SummaryRow) -> SummaryRowOut:
        return cls(key=r.key, label=r.label, conversions=round(r.conversions, 6), revenue=r.revenue)


class OwnAttributionOut(BaseModel):
    """Own-data attribution of a period: totals, then per model the credited conversions per channel and campaign."""

    since: datetime
    until: datetime
    currency: str
    conversions: int
    attributed: int
    value: Decimal
    other_currency: int
    by_channel: dict[AttributionModel, list[SummaryRowOut]]
    by_campaign: dict[AttributionModel, list[SummaryRowOut]]

    @classmethod
    def of(cls, s: OwnSummary) -> OwnAttributionOut:
        return cls(since=s.since, until=s.until, currency=s.currency, conversions=s.conversions,
                   attributed=s.attributed, value=s.value, other_currency=s.other_currency,
                   by_channel={m: [SummaryRowOut.of(r) for r in rows] for m, rows in s.by_channel.items()},
                   by_campaign={m: [SummaryRowOut.of(r) for r in rows] for m, rows in s.by_campaign.items()})
