"""The A/B test and sample-size calculators: sufficient statistics in, figures out (no data is read or stored)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kempen import stats
from kempen.http.deps import Viewer
from kempen.kit.errors import InvalidInput
from kempen.stats.types import MAX_VARIANTS

router = APIRouter(tags=["statistics"])
Counts = Annotated[list[int], Field(min_length=2, max_length=MAX_VARIANTS)]
Values = Annotated[list[float], Field(min_length=2, max_length=MAX_VARIANTS)]
Split = Annotated[list[float] | None, Field(min_length=2, max_length=MAX_VARIANTS,
                                            description="Planned shares, any positive weights; default equal")]
Confidence = Annotated[float, Field(ge=0.5, lt=1, description="Confidence level of the intervals")]


class AbInput(BaseModel):
    """Per variant, control first: users and either conversions (a rate) or sums and sums of squares (a mean)."""

    model_config = ConfigDict(extra="forbid")
    users: Counts
    conversions: Counts | None = None
    sums: Values | None = None
    sums_squares: Values | None = None
    split: Split = None
    confidence: Confidence = 0.95

    @model_validator(mode="after")
    def one_metric(self) -> AbInput:
        mean = self.sums is not None or self.sums_squares is not None
        if (self.conversions is None) == (not mean) or (mean and (self.sums is None or self.sums_squares is None)):
            raise ValueError("give either conversions (a rate) or both sums and sums_squares (a mean)")
        return self


class EstimateOut(BaseModel):
    estimate: float | None
    low: float | None
    high: float | None
    method: str
    reason: str | None


class TestOut(BaseModel):
    statistic: float | None
    p_value: float | None
    method: str
    reason: str | None
    degrees_of_freedom: float | None


class ComparisonOut(BaseModel):
    variant: str
    control: str
    absolute: EstimateOut
    relative: EstimateOut
    test: TestOut
    probability_best: float | None


class VariantOut(BaseModel):
    label: str
    users: int
    value: float | None = Field(description="The rate, or the mean per user")
    probability_best: float | None
    conversions: int | None
    total: float | None
    total_squares: float | None
    std_dev: float | None


class BestOut(BaseModel):
    probabilities: list[float] | None
    method: str
    reason: str | None


class SrmOut(BaseModel):
    expected_shares: list[float]
    statistic: float | None
    p_value: float | None
    mismatch: bool
    threshold: float
    method: str
    reason: str | None


class AbOut(BaseModel):
    metric: Literal["proportion", "mean"]
    confidence: float
    variants: list[VariantOut]
    comparisons: list[ComparisonOut]
    best: BestOut
    srm: SrmOut
    summary: str


class SampleSizeInput(BaseModel):
    """A rate (baseline) or, with std_dev, a mean (baseline is then the baseline mean, needed when relative)."""

    model_config = ConfigDict(extra="forbid")
    baseline: float | None = None
    mde: float = Field(description="Minimum detectable effect: absolute, or a share of the baseline if relative")
    relative: bool = False
    alpha: float = 0.05
    power: float = 0.8
    variants: int = Field(2, ge=2, le=MAX_VARIANTS)
    split: Split = None
    std_dev: float | None = None


class SampleSizeOut(BaseModel):
    per_variant: list[int]
    total: int
    effect_size: float
    control_exact: float
    difference: float
    alpha: float
    power: float
    method: str


@router.post("/stats/ab", response_model=AbOut)
def ab_test(principal: Viewer, data: AbInput) -> Any:
    """Read an A/B test: per variant against the first, differences with intervals, p-value, probability to be best."""
    try:
        if data.conversions is not None:
            result = stats.analyse_proportions(data.users, data.conversions, split=data.split,
                                               confidence=data.confidence)
        else:
            assert data.sums is not None and data.sums_squares is not None
            result = stats.analyse_means(data.users, data.sums, data.sums_squares, split=data.split,
                                         confidence=data.confidence)
    except stats.StatsInputError as exc:
        raise InvalidInput(str(exc)) from None
    return result.to_dict()


@router.post("/stats/sample-size", response_model=SampleSizeOut)
def sample_size(principal: Viewer, data: SampleSizeInput) -> Any:
    """Users each variant needs to detect the given effect with the given power."""
    variants = len(data.split) if data.split else data.variants
    try:
        if data.std_dev is not None:
            result = stats.sample_size_means(data.std_dev, data.mde, baseline_mean=data.baseline,
                                             relative=data.relative, alpha=data.alpha, power=data.power,
                                             variants=variants, split=data.split)
        elif data.baseline is None:
            raise InvalidInput("Give baseline (a rate such as 0.05), or std_dev for a mean.")
        else:
            result = stats.sample_size_proportions(data.baseline, data.mde, relative=data.relative,
                                                   alpha=data.alpha, power=data.power, variants=variants,
                                                   split=data.split)
    except stats.StatsInputError as exc:
        raise InvalidInput(str(exc)) from None
    return result.to_dict()
