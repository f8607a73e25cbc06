"""Request and response shapes of planning: objectives with their progress, programmes with their roll-up."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kempen.models import ObjectiveMetric
from kempen.planning.pace import Verdict

Number = Annotated[Decimal, Field(ge=-1_000_000_000_000, le=1_000_000_000_000, max_digits=18, decimal_places=6)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
ConversionName = Annotated[str, Field(min_length=1, max_length=120)]
LongText = Annotated[str, Field(max_length=2000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ObjectiveCreate(_In):
    """A SMART objective: a specific metric, a measurable target, a deadline; the baseline defaults to 0.

    Rates and ROI are fractions: a click rate of 3 % is 0.03.
    """

    metric: ObjectiveMetric
    conversion_name: ConversionName | None = Field(
        None, description="For metric named_conversion: the conversion's name, e.g. lead or sign_up")
    baseline: Number = Decimal("0")
    target: Number
    deadline: date
    description: LongText = ""
    relevance: LongText = Field("", description="Why this objective matters (SMART's 'relevant')")

    @model_validator(mode="after")
    def _named(self) -> ObjectiveCreate:
        if self.metric == ObjectiveMetric.NAMED_CONVERSION and not self.conversion_name:
            raise ValueError("a named_conversion objective needs conversion_name (e.g. lead or sign_up)")
        if self.metric != ObjectiveMetric.NAMED_CONVERSION:
            self.conversion_name = None
        return self


class ObjectiveUpdate(_In):
    """Change the given fields; fields left out keep their value."""

    baseline: Number | None = None
    target: Number | None = None
    deadline: date | None = None
    description: LongText | None = None
    relevance: LongText | None = None


class Objective(_Out):
    id: int
    campaign_id: int | None
    programme_id: int | None
    metric: ObjectiveMetric
    conversion_name: str | None
    baseline: Decimal
    target: Decimal
    deadline: date
    description: str
    relevance: str
    created_by: str
    created_at: datetime

    @field_validator("baseline", "target")
    @classmethod
    def _plain(cls, value: Decimal) -> Decimal:
        """200, not 200.000000 (the column keeps six decimals for rates)."""
        return Decimal(format(value.normalize(), "f"))


class ObjectiveProgress(Objective):
    """An objective with its current value (from the reports), progress, projection and verdict."""

    label: str
    current: float | None  # None before launch
    progress: float | None  # (current − baseline) / (target − baseline)
    projected: float | None  # the value expected at the deadline at the present rate
    verdict: Verdict
    sentence: str
    warnings: list[str] = []


class ProgrammeCreate(_In):
    name: Name
    description: LongText = ""
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Amount | None = Field(None, description="Total planned, in the workspace's reporting currency")
    owner_id: int | None = None

    @model_validator(mode="after")
    def _period(self) -> ProgrammeCreate:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class ProgrammeUpdate(_In):
    """Change the given fields; fields left out keep their value (send null to clear a date or the budget)."""

    name: Name | None = None
    description: LongText | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Amount | None = None
    owner_id: int | None = None


class Programme(_Out):
    id: int
    name: str
    description: str
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    owner_id: int | None
    created_at: datetime
    updated_at: datetime


class ProgrammeSummary(Programme):
    campaigns: int


class ProgrammePage(BaseModel):
    items: list[ProgrammeSummary]


class CampaignFigures(BaseModel):
    """One campaign's line in a programme's roll-up (from the campaign report's totals)."""

    campaign_id: int
    name: str
    status: str
    launched_at: datetime | None
    sent: int
    delivered: int
    opens: int
    clicks: int
    conversions: float
    revenue: Decimal
    cost: Decimal
    roi: float | None


class Rollup(BaseModel):
    """The sum of a programme's campaigns, and its budget against the actual spend."""

    currency: str
    sent: int = 0
    delivered: int = 0
    opens: int = 0
    clicks: int = 0
    conversions: float = 0.0
    revenue: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")
    roi: float | None = None
    click_rate: float | None = None
    open_rate: float | None = None
    budget: Decimal | None = None
    budget_used: float | None = None  # cost / budget
    budget_left: Decimal | None = None


class ProgrammeDetail(Programme):
    campaigns: list[CampaignFigures]
    rollup: Rollup
    objectives: list[ObjectiveProgress]


class CampaignAssign(_In):
    campaign_id: Annotated[int, Field(ge=1)]
