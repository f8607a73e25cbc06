"""Captions: hand-checked sentences for series, channels, variants, incrementality and budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from kempen.experiments.schemas import ArmOut, ComparisonOut, EstimateOut, ExperimentOut, Metric
from kempen.reporting import captions
from kempen.reporting.schemas import BudgetLine, Figures, GroupOutcome, Incrementality, SeriesPoint

LAUNCH = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def hour(n: int, **counts: int) -> SeriesPoint:
    return SeriesPoint(start=LAUNCH + timedelta(hours=n), bucket="hour", **counts)


def day(n: int, **counts: int) -> SeriesPoint:
    return SeriesPoint(start=datetime(2026, 3, 4, tzinfo=UTC) + timedelta(days=n), bucket="day", **counts)


def est(estimate: float | None, low: float | None = None, high: float | None = None,
        reason: str | None = None) -> EstimateOut:
    return EstimateOut(estimate=estimate, low=low, high=high, method="test", reason=reason)


def test_money_and_number_words() -> None:
    assert captions.money(Decimal("2300.4"), "EUR") == "€2,300"
    assert captions.money(12.5, "usd") == "$12.50"
    assert captions.money(-48, "CHF") == "−CHF 48.00"
    assert captions.plural(1, "click") == "1 click" and captions.plural(1204, "click") == "1,204 clicks"


def test_series_most_opens_early_and_clicks_over_days() -> None:
    series = [hour(0, sent=1000, opens=300, clicks=20), hour(5, opens=250, clicks=30),
              hour(30, opens=200, clicks=4), day(1, opens=100, clicks=1150)]
    # 850 opens in all; more than half (425) is reached in the 6th hour (05:00-06:00 after launch).
    # The last bucket is the day starting 5 March 00:00, ending 6 March 00:00: 110 hours after launch → 5 days.
    assert captions.series_caption(series, LAUNCH) == "Most opens came in the first 6 hours; 1,204 clicks over 5 days."


def test_series_without_opens_or_sends() -> None:
    assert captions.series_caption([], None) == "Nothing has been sent yet."
    assert (captions.series_caption([hour(0, sent=1), hour(1, clicks=1)], LAUNCH)
            == "1 message sent and no opens recorded; 1 click over 2 hours.")
    assert (captions.series_caption([hour(0, sent=5, opens=1)], LAUNCH)
            == "Most opens came in the first hour; no clicks over 1 hour.")


def channel(key: str, label: str, **values: object) -> Figures:
    return Figures(key=key, label=label, **values)  # type: ignore[arg-type]


def test_channels_name_the_top_earner_and_the_best_click_rate() -> None:
    rows = [channel("email", "Email", sent=1000, revenue=Decimal("2300"), click_rate=0.031, cost=Decimal("10")),
            channel("sms", "SMS", sent=200, revenue=Decimal("200"), click_rate=0.041, cost=Decimal("40")),
            channel("push", "Push")]
    assert (captions.channels_caption(rows, "EUR")
            == "Email brought €2,300 of €2,500 revenue; SMS had the highest click rate (4.1%); cost €50.00 in all.")
    assert captions.channels_caption([rows[2]], "EUR") == "No channel has sent anything yet."
    assert (captions.channels_caption([channel("email", "Email", sent=10, click_rate=0.1)], "EUR")
            == "No revenue attributed yet; Email's click rate was 10.0%.")


def experiment(caption: str = "", significant: bool = True, leader: int = 2) -> ExperimentOut:
    arms = [ArmOut(variant_id=1, name="A", planned_percent=50, recipients=5000, successes=150,
                   value=est(0.030, 0.026, 0.035), probability_best=0.02),
            ArmOut(variant_id=2, name="B", planned_percent=50, recipients=5000, successes=210,
                   value=est(0.042, 0.037, 0.048), probability_best=0.98)]
    comparison = ComparisonOut(variant_id=2, name="B", absolute=est(0.012, 0.0046, 0.0194),
                               relative=est(0.4, 0.14, 0.7), p_value=0.001, test="two-proportion z-test")
    return ExperimentOut(campaign_id=1, message_id=1, message_name="Newsletter", channel="email",
                         metric=Metric.CLICK_RATE, confidence=0.95, since=LAUNCH, until=LAUNCH + timedelta(days=3),
                         arms=arms, comparisons=[comparison], leader_variant_id=leader, significant=significant,
                         caption=caption)


def test_variants_use_the_experiments_caption_when_present() -> None:
    given = "B's click rate is 1.2 points higher; 98% probability it is better."
    assert captions.variants_caption([experiment(given)], []) == given


def test_variants_caption_built_from_the_arms() -> None:
    assert (captions.experiment_caption(experiment())
            == "B's click rate is 1.2 points higher than A's; 98% probability it is the best.")
    assert (captions.experiment_caption(experiment(significant=False))
            == "B's click rate is 1.2 points higher than A's; 98% probability it is the best "
               "(not significant at 95%).")


def test_variants_without_an_analysis_compare_observed_click_rates() -> None:
    rows = [channel("1", "A", click_rate=0.03), channel("2", "B", click_rate=0.042)]
    assert (captions.variants_caption([], rows)
            == "B has the highest observed click rate (4.2% against 3.0% for A).")
    assert captions.variants_caption([], rows[:1]) == "One variant only: nothing to compare."


def incrementality(diff: EstimateOut, conversions: float | None, revenue: float | None) -> Incrementality:
    group = GroupOutcome(contacts=4000, converted=200, revenue=9000.0, conversion_rate=0.05, revenue_per_contact=2.25)
    return Incrementality(
        since=LAUNCH, until=LAUNCH + timedelta(days=7), confidence=0.95, treated=group, holdout=group,
        rate_difference=diff, rate_lift=est(0.3), rate_p_value=0.01, rate_test="z", rate_test_reason=None,
        revenue_difference=est(0.5), revenue_lift=est(0.2), revenue_p_value=0.2, revenue_test="welch",
        revenue_test_reason=None, incremental_conversions=est(conversions), incremental_revenue=est(revenue),
        cost=Decimal("500"), incremental_roi=est(3.6))


def test_incrementality_lift_with_interval_and_worth() -> None:
    inc = incrementality(est(0.012, 0.003, 0.021), 48.3, 2300.0)
    assert (captions.incrementality_caption(inc, "EUR")
            == "The campaign raised the conversion rate by 1.2 points (95% interval 0.3 to 2.1) over the holdout: "
               "about 48 incremental conversions worth €2,300.")


def test_incrementality_interval_across_zero_and_no_estimate() -> None:
    inc = incrementality(est(-0.004, -0.011, 0.003), -16.0, -700.0)
    assert (captions.incrementality_caption(inc, "EUR")
            == "The campaign lowered the conversion rate by 0.4 points (95% interval −1.1 to 0.3) over the holdout; "
               "the interval includes zero, so the effect may be none.")
    none = incrementality(est(None, reason="the holdout is empty"), None, None)
    assert captions.incrementality_caption(none, "EUR") == (
        "The holdout cannot measure the campaign's effect yet: the holdout is empty.")


def test_budget_planned_against_actual() -> None:
    lines = [BudgetLine(channel="email", planned=Decimal("1000"), actual=Decimal("800"), variance=Decimal("-200")),
             BudgetLine(channel="paid_search", planned=Decimal("500"), actual=Decimal("550"), variance=Decimal("50")),
             BudgetLine(channel="sms", planned=None, actual=Decimal("5"), variance=None)]
    assert (captions.budget_caption(lines, "EUR")
            == "Spent €1,355 of the €1,500 planned (90%); over budget: Paid search by €50.00.")
    assert captions.budget_caption(lines[2:], "EUR") == "Spent €5.00; no budget was planned."
    assert captions.budget_caption([], "EUR") == "No budget or costs recorded."


def test_incrementality_without_an_interval_names_the_reason() -> None:
    inc = incrementality(est(0.0, reason="Both rates are 0 %, so the interval cannot be estimated."), 0.0, 0.0)
    assert captions.incrementality_caption(inc, "EUR") == (
        "The campaign did not change the conversion rate over the holdout "
        "(Both rates are 0 %, so the interval cannot be estimated).")
