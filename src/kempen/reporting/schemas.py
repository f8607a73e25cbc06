"""Request and response shapes of reporting: tracking settings, budgets, spend and the figures."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kempen.attribution.types import AttributionModel
from kempen.experiments.schemas import EstimateOut, ExperimentOut

WindowDays = Annotated[int, Field(ge=1, le=90, description="Days (1–90)")]
Cost = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=6, description="Cost per message (≥ 0)")]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
ChannelName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_\-]*$",
                                   description="email, sms, push or any other, e.g. paid_search")]
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def checked_currency(value: str) -> str:
    """An ISO 4217 code in capitals, or ValueError."""
    code = value.strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError("must be a three-letter ISO 4217 currency code such as EUR")
    return code


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TrackingSettings(_Out):
    track_opens: bool
    track_clicks: bool
    add_utm: bool
    utm_source: str
    currency: str
    click_window_days: int
    open_window_days: int
    attribution_model: AttributionModel
    exclude_machine_events: bool
    email_cost_per_message: Decimal
    sms_cost_per_message: Decimal
    updated_at: datetime


class TrackingSettingsUpdate(_In):
    """Change the given settings; fields left out keep their value."""

    track_opens: bool | None = None
    track_clicks: bool | None = None
    add_utm: bool | None = None
    utm_source: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")] | None = None
    currency: str | None = None
    click_window_days: WindowDays | None = None
    open_window_days: WindowDays | None = None
    attribution_model: AttributionModel | None = None
    exclude_machine_events: bool | None = None
    email_cost_per_message: Cost | None = None
    sms_cost_per_message: Cost | None = None

    _currency = field_validator("currency")(lambda v: None if v is None else checked_currency(v))


class BudgetSet(_In):
    channel: ChannelName
    amount: Amount


class Budget(_Out):
    id: int
    campaign_id: int
    channel: str
    amount: Decimal
    currency: str


class SpendCreate(_In):
    channel: ChannelName
    spend_date: date
    amount: Amount
    note: Annotated[str, Field(max_length=2000)] = ""


class Spend(_Out):
    id: int
    campaign_id: int
    channel: str
    spend_date: date
    amount: Decimal
    currency: str
    source: str
    note: str
    created_by: str


class SpendImportResult(BaseModel):
    rows: int
    days: int
    replaced: int
    total: Decimal
    currency: str


class Figures(BaseModel):
    """One row of a report: what a campaign, channel, variant or segment reached, earned and cost."""

    key: str
    label: str
    audience: int = 0
    holdout: int = 0
    deliveries: int = 0
    skipped: int = 0
    failed: int = 0
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    hard_bounced: int = 0
    soft_bounced: int = 0
    opens: int = 0
    clicks: int = 0
    machine_opens: int = 0
    machine_clicks: int = 0
    unsubscribes: int = 0
    complaints: int = 0
    conversions: float = 0.0
    revenue: Decimal = Decimal("0")
    spend: Decimal = Decimal("0")
    message_cost: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")
    budget: Decimal | None = None
    open_rate: float | None = None
    click_rate: float | None = None
    click_to_open_rate: float | None = None
    bounce_rate: float | None = None
    unsubscribe_rate: float | None = None
    roi: float | None = None
    roas: float | None = None
    cost_per_acquisition: Decimal | None = None


class SeriesPoint(BaseModel):
    start: datetime
    bucket: str  # "hour" or "day"
    sent: int = 0
    opens: int = 0
    clicks: int = 0
    unsubscribes: int = 0
    bounces: int = 0
    complaints: int = 0
    conversions: float = 0.0
    revenue: Decimal = Decimal("0")


class BudgetLine(BaseModel):
    channel: str
    planned: Decimal | None
    actual: Decimal
    variance: Decimal | None  # actual − planned (positive: over budget)


class GroupOutcome(BaseModel):
    """What one group (treated or holdout) did in the window."""

    contacts: int
    converted: int
    revenue: float
    conversion_rate: float | None
    revenue_per_contact: float | None


class Incrementality(BaseModel):
    """Treated against holdout: the lift the campaign caused and what it was worth (reporting/incrementality.py)."""

    since: datetime
    until: datetime
    confidence: float
    treated: GroupOutcome
    holdout: GroupOutcome
    rate_difference: EstimateOut  # treated rate − holdout rate
    rate_lift: EstimateOut  # treated rate / holdout rate − 1
    rate_p_value: float | None
    rate_test: str
    rate_test_reason: str | None
    revenue_difference: EstimateOut  # per contact
    revenue_lift: EstimateOut
    revenue_p_value: float | None
    revenue_test: str
    revenue_test_reason: str | None
    incremental_conversions: EstimateOut
    incremental_revenue: EstimateOut
    cost: Decimal
    incremental_roi: EstimateOut


class CampaignReport(BaseModel):
    campaign_id: int
    name: str
    status: str
    currency: str
    model: AttributionModel
    launched_at: datetime | None
    until: datetime
    machine_excluded: bool
    totals: Figures
    channels: list[Figures]
    variants: list[Figures]
    segment_breakdown: list[Figures] = []
    segment_name: str | None = None
    series: list[SeriesPoint]
    budget: list[BudgetLine]
    incrementality: Incrementality | None = None
    experiments: list[ExperimentOut] = []  # one per message with two or more variants


class WorkspaceReport(BaseModel):
    currency: str
    model: AttributionModel
    since: datetime
    until: datetime
    machine_excluded: bool
    group: str
    rows: list[Figures]
