"""Chart specs: even time buckets, intervals as drawn (checked against statsmodels), money and budget bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from statsmodels.stats.proportion import proportion_confint

from kempen.experiments.schemas import ArmOut, EstimateOut, ExperimentOut, Metric
from kempen.reporting import charts
from kempen.reporting.schemas import BudgetLine, Figures, GroupOutcome, Incrementality, SeriesPoint

LAUNCH = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def point(start: datetime, bucket: str = "hour", **counts: object) -> SeriesPoint:
    return SeriesPoint(start=start, bucket=bucket, **counts)  # type: ignore[arg-type]


def test_roll_up_sums_into_even_buckets_and_keeps_empty_ones() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    points = [point(start + timedelta(hours=10), sent=100, opens=20), point(start + timedelta(hours=11), opens=5),
              point(start + timedelta(days=3), "day", clicks=2, conversions=1.5, revenue=Decimal("10.005"))]
    days = charts.roll_up(points, start, start + timedelta(days=5), "day")
    assert [p.start.day for p in days] == [1, 2, 3, 4, 5]
    assert [(p.sent, p.opens, p.clicks) for p in days] == [(100, 25, 0), (0, 0, 0), (0, 0, 0), (0, 0, 2), (0, 0, 0)]
    assert days[3].conversions == 1.5 and days[3].revenue == Decimal("10.01") and days[0].bucket == "day"
    weeks = charts.roll_up(points, start, start + timedelta(days=10), "week")
    assert [(p.sent, p.opens, p.clicks) for p in weeks] == [(100, 25, 2), (0, 0, 0)]


def test_even_series_is_hourly_while_young_then_daily() -> None:
    points = [point(LAUNCH.replace(minute=0), sent=10, opens=3), point(LAUNCH + timedelta(hours=5), opens=1)]
    hourly, bucket = charts.even_series(points, LAUNCH, LAUNCH + timedelta(hours=8))
    assert bucket == "hour" and len(hourly) == 9 and hourly[0].start == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert [p.opens for p in hourly] == [3, 0, 0, 0, 0, 1, 0, 0, 0]
    daily, bucket = charts.even_series(points, LAUNCH, LAUNCH + timedelta(days=9))
    assert bucket == "day" and len(daily) == 10 and daily[0].start == datetime(2026, 3, 1, tzinfo=UTC)
    assert daily[0].opens == 4 and sum(p.sent for p in daily) == 10
    spec = charts.series_chart(daily, "day")
    assert spec["labels"][:2] == ["01 Mar", "02 Mar"] and spec["bucket"] == "day"
    assert [d["key"] for d in spec["datasets"]] == ["sent", "opens", "clicks", "conversions"]
    assert spec["datasets"][1]["values"][0] == 4


def test_incrementality_chart_draws_wilson_intervals() -> None:
    treated = GroupOutcome(contacts=900, converted=54, revenue=0, conversion_rate=0.06, revenue_per_contact=0)
    holdout = GroupOutcome(contacts=100, converted=3, revenue=0, conversion_rate=0.03, revenue_per_contact=0)
    none = EstimateOut(method="x")
    inc = Incrementality(since=LAUNCH, until=LAUNCH, confidence=0.95, treated=treated, holdout=holdout,
                         rate_difference=none, rate_lift=none, rate_p_value=None, rate_test="z", rate_test_reason=None,
                         revenue_difference=none, revenue_lift=none, revenue_p_value=None, revenue_test="t",
                         revenue_test_reason=None, incremental_conversions=none, incremental_revenue=none,
                         cost=Decimal("0"), incremental_roi=none)
    spec = charts.incrementality_chart(inc)
    data = spec["datasets"][0]
    assert spec["kind"] == "intervals" and spec["labels"] == ["Treated", "Holdout"]
    for i, (n, x) in enumerate(((900, 54), (100, 3))):
        low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
        assert data["values"][i] == pytest.approx(x / n)
        assert data["low"][i] == pytest.approx(low, abs=1e-6) and data["high"][i] == pytest.approx(high, abs=1e-6)
    assert data["notes"] == ["54 of 900 contacts", "3 of 100 contacts"]


def test_experiment_chart_carries_values_intervals_and_probability_best() -> None:
    arms = [ArmOut(variant_id=1, name="A", planned_percent=50, recipients=100, total=250.0, total_squares=9000.0,
                   value=EstimateOut(estimate=2.5, low=0.7, high=4.3, method="t"), probability_best=0.25),
            ArmOut(variant_id=2, name="B", planned_percent=50, recipients=100, total=400.0, total_squares=12000.0,
                   value=EstimateOut(estimate=4.0, low=1.9, high=6.1, method="t"), probability_best=0.75)]
    experiment = ExperimentOut(campaign_id=1, message_id=7, message_name="News", channel="email",
                               metric=Metric.REVENUE_PER_RECIPIENT, confidence=0.9, since=None, until=LAUNCH,
                               arms=arms, comparisons=[], leader_variant_id=2, currency="USD", caption="")
    spec = charts.experiment_chart(experiment, "EUR")
    assert spec["unit"] == "money" and spec["currency"] == "USD" and spec["highlight"] == [False, True]
    assert spec["datasets"][0]["low"] == [0.7, 1.9] and spec["datasets"][0]["high"] == [4.3, 6.1]
    assert spec["datasets"][0]["notes"] == ["25.0% probability best", "75.0% probability best"]
    assert "90% intervals" in spec["title"]


def test_variant_click_chart_needs_two_delivered_variants() -> None:
    a = Figures(key="1", label="A", delivered=200, clicks=10)
    b = Figures(key="2", label="B", delivered=0)
    assert charts.variant_click_chart([a, b]) is None
    spec = charts.variant_click_chart([a, Figures(key="3", label="C", delivered=100, clicks=0)])
    assert spec is not None and spec["datasets"][0]["values"] == [0.05, 0.0]
    assert spec["datasets"][0]["low"][1] == 0.0 and spec["datasets"][0]["high"][1] > 0.03  # zero clicks: still an interval


def test_money_and_budget_bars() -> None:
    rows = [Figures(key="email", label="Email", revenue=Decimal("150.00"), cost=Decimal("10.07"))]
    spec = charts.money_by_row_chart(rows, "EUR", title="t")
    assert spec["datasets"][0]["values"] == [150.0] and spec["datasets"][1]["values"] == [10.07]
    budget = charts.budget_chart([BudgetLine(channel="paid_search", planned=None, actual=Decimal("20"), variance=None)],
                                 "EUR")
    assert budget["labels"] == ["Paid search"] and budget["datasets"][0]["values"] == [None]
