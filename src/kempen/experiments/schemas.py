"""What an experiment analysis returns: shared by reports, the automatic winner, the API, the CLI and the PDF."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel

from kempen.stats import Estimate


class Metric(enum.StrEnum):
    """What a variant comparison is decided on; rates are per recipient a delivery was sent to."""

    OPEN_RATE = "open_rate"
    CLICK_RATE = "click_rate"
    CONVERSION_RATE = "conversion_rate"
    REVENUE_PER_RECIPIENT = "revenue_per_recipient"


class WinnerFallback(enum.StrEnum):
    """What the automatic winner sends to the rest when no variant is significantly better."""

    FIRST = "first"    # the first variant (the control)
    LEADER = "leader"  # the variant ahead on the metric, significant or not
    NONE = "none"      # nothing: the rest of the audience gets no message


class EstimateOut(BaseModel):
    """A figure with its confidence interval; None with the reason where it cannot be estimated."""

    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    method: str
    reason: str | None = None


def estimate_out(estimate: Estimate, scale: float = 1.0) -> EstimateOut:
    """A statistics estimate for output, every number multiplied by `scale` (scaling keeps the coverage)."""
    def scaled(x: float | None) -> float | None:
        return None if x is None else x * scale
    return EstimateOut(estimate=scaled(estimate.estimate), low=scaled(estimate.low), high=scaled(estimate.high),
                       method=estimate.method, reason=estimate.reason)


class ArmOut(BaseModel):
    """One variant: its sufficient statistics and the metric's value with an interval."""

    variant_id: int
    name: str
    planned_percent: float  # its share of the split, out of 100
    recipients: int  # deliveries sent: the denominator of every metric
    successes: int | None = None  # openers, clickers or converters (rate metrics)
    total: float | None = None  # revenue sum (revenue per recipient)
    total_squares: float | None = None
    value: EstimateOut  # the rate or mean per recipient, with its interval
    probability_best: float | None = None


class ComparisonOut(BaseModel):
    """One variant against the first (the control)."""

    variant_id: int
    name: str
    absolute: EstimateOut  # variant − control (rate points as fractions, or money per recipient)
    relative: EstimateOut  # variant / control − 1
    p_value: float | None
    test: str  # the named two-sided test
    test_reason: str | None = None


class ExperimentOut(BaseModel):
    """A message's variants compared on one metric."""

    campaign_id: int
    message_id: int
    message_name: str
    channel: str
    metric: Metric
    confidence: float
    since: datetime | None  # sends counted from / outcomes counted until
    until: datetime
    arms: list[ArmOut]
    comparisons: list[ComparisonOut]
    srm_p_value: float | None = None
    srm_detected: bool = False  # p < 0.001: the split is not what was planned; distrust the result
    leader_variant_id: int | None = None  # best observed value
    significant: bool = False  # the leader beats every other variant at `confidence`
    currency: str | None = None  # of revenue per recipient: the workspace currency
    caption: str  # one plain-language sentence, e.g. "B's click rate is 1.2 points higher; 98% probability ..."
