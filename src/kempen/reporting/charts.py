"""What each report chart draws, as plain JSON for static/js/report-charts.js: pure functions of the report schemas.

A chart spec names its kind ("series": counts over time; "intervals": one value per group with its
confidence interval, drawn as error bars; "bars": grouped bars), a unit (count, percent, money) and its
datasets. Rates are sent as fractions and intervals as `low`/`high` beside each value; the script does the
drawing and formatting only, so what a chart shows is decided (and tested) here. Every chart has a table
or the numbers next to it on the page, so nothing here is the only way to read a figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from kempen.experiments.schemas import ExperimentOut, Metric
from kempen.reporting.captions import METRIC_NAMES, percent
from kempen.reporting.schemas import BudgetLine, Figures, Incrementality, SeriesPoint
from kempen.stats import ProportionArm, proportion_interval

Spec = dict[str, Any]


def _number(value: float | Decimal | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _label(point: SeriesPoint, bucket: str | None = None) -> str:
    kind = bucket or point.bucket
    if kind == "hour":
        return point.start.strftime("%d %b %H:%M")
    return point.start.strftime("%d %b" if kind == "day" else "wk %d %b")


STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
_SUMMED = ("sent", "opens", "clicks", "unsubscribes", "bounces", "complaints", "conversions", "revenue")


def roll_up(points: Sequence[SeriesPoint], start: datetime, until: datetime, bucket: str) -> list[SeriesPoint]:
    """Points summed into even buckets (hour, day or week) from `start` to `until`; empty buckets kept as zeros.

    A chart's time axis is then even: the report's own series mixes hours and days and leaves out empty ones.
    """
    step = STEPS[bucket]
    sums: dict[int, dict[str, Any]] = defaultdict(dict)
    for point in points:
        found = sums[max(int((point.start - start) / step), 0)]
        for name in _SUMMED:
            found[name] = found.get(name, 0) + getattr(point, name)
    count = -(-(until - start) // step)  # buckets in [start, until), the last one partial
    return [SeriesPoint(start=start + index * step, bucket=bucket, **_rounded(sums.get(index, {})))
            for index in range(max([*sums, count - 1]) + 1)]


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    if "revenue" in values:
        values["revenue"] = Decimal(values["revenue"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if "conversions" in values:
        values["conversions"] = round(values["conversions"], 4)
    return values


def even_series(series: Sequence[SeriesPoint], launched_at: datetime, until: datetime) -> tuple[list[SeriesPoint], str]:
    """A campaign's series for its chart: hourly in its first 72 hours, then daily (weekly after 120 days)."""
    age = until - launched_at
    bucket = "hour" if age <= timedelta(hours=72) else "day" if age <= timedelta(days=120) else "week"
    first = launched_at.replace(minute=0, second=0, microsecond=0)
    if bucket != "hour":
        first = first.replace(hour=0)
    return roll_up(series, first, until, bucket), bucket


def series_chart(series: Sequence[SeriesPoint], bucket: str | None = None, *,
                 title: str = "Sent, opens, clicks and conversions over time") -> Spec:
    """Sent as bars, opens and clicks as lines (left axis), conversions as a line on the right axis."""
    return {
        "kind": "series", "unit": "count", "title": title, "bucket": bucket or (series[0].bucket if series else "day"),
        "labels": [_label(p, bucket) for p in series],
        "datasets": [
            {"key": "sent", "label": "Sent", "type": "bar", "values": [p.sent for p in series]},
            {"key": "opens", "label": "Opens", "type": "line", "values": [p.opens for p in series]},
            {"key": "clicks", "label": "Clicks", "type": "line", "values": [p.clicks for p in series]},
            {"key": "conversions", "label": "Conversions", "type": "line", "axis": "right",
             "values": [round(p.conversions, 4) for p in series]},
        ],
    }


def experiment_chart(experiment: ExperimentOut, currency: str) -> Spec:
    """Each variant's value on the experiment's metric with its interval, and its probability to be best."""
    money = experiment.metric == Metric.REVENUE_PER_RECIPIENT
    currency = experiment.currency or currency
    notes = [f"{percent(a.probability_best)} probability best" if a.probability_best is not None else ""
             for a in experiment.arms]
    return {
        "kind": "intervals", "unit": "money" if money else "percent", "currency": currency,
        "title": f"{experiment.message_name}: {METRIC_NAMES[experiment.metric]} per variant "
                 f"with {experiment.confidence * 100:.0f}% intervals",
        "labels": [a.name for a in experiment.arms],
        "datasets": [{"key": "value", "label": METRIC_NAMES[experiment.metric].capitalize(),
                      "values": [_number(a.value.estimate) for a in experiment.arms],
                      "low": [_number(a.value.low) for a in experiment.arms],
                      "high": [_number(a.value.high) for a in experiment.arms], "notes": notes}],
        "highlight": [a.variant_id == experiment.leader_variant_id for a in experiment.arms],
    }


def variant_click_chart(variants: Sequence[Figures], confidence: float = 0.95) -> Spec | None:
    """Before an experiment analysis exists: each variant's click rate with its Wilson interval (observed only)."""
    rated = [v for v in variants if v.delivered > 0]
    if len(rated) < 2:
        return None
    intervals = [proportion_interval(ProportionArm(v.delivered, v.clicks), confidence=confidence) for v in rated]
    return {
        "kind": "intervals", "unit": "percent",
        "title": f"Click rate per variant with {confidence * 100:.0f}% intervals",
        "labels": [v.label for v in rated],
        "datasets": [{"key": "click_rate", "label": "Click rate", "values": [_number(i.estimate) for i in intervals],
                      "low": [_number(i.low) for i in intervals], "high": [_number(i.high) for i in intervals],
                      "notes": [f"{v.clicks:,} of {v.delivered:,} delivered" for v in rated]}],
    }


def incrementality_chart(inc: Incrementality) -> Spec:
    """Treated and holdout conversion rates, each with its Wilson interval."""
    groups = (("Treated", inc.treated), ("Holdout", inc.holdout))
    intervals = [proportion_interval(ProportionArm(g.contacts, g.converted), confidence=inc.confidence)
                 for _, g in groups]
    return {
        "kind": "intervals", "unit": "percent",
        "title": f"Conversion rate, treated vs holdout, with {inc.confidence * 100:.0f}% intervals",
        "labels": [name for name, _ in groups],
        "datasets": [{"key": "conversion_rate", "label": "Conversion rate",
                      "values": [_number(i.estimate) for i in intervals], "low": [_number(i.low) for i in intervals],
                      "high": [_number(i.high) for i in intervals],
                      "notes": [f"{g.converted:,} of {g.contacts:,} contacts" for _, g in groups]}],
    }


def money_by_row_chart(rows: Sequence[Figures], currency: str, *, title: str) -> Spec:
    """Revenue and cost per row (channel or campaign) as grouped bars."""
    return {
        "kind": "bars", "unit": "money", "currency": currency, "title": title, "labels": [r.label for r in rows],
        "datasets": [{"key": "revenue", "label": "Revenue", "values": [_number(r.revenue) for r in rows]},
                     {"key": "cost", "label": "Cost", "values": [_number(r.cost) for r in rows]}],
    }


def budget_chart(lines: Sequence[BudgetLine], currency: str) -> Spec:
    """Planned against actual cost per channel."""
    return {
        "kind": "bars", "unit": "money", "currency": currency, "title": "Budget planned vs actual cost per channel",
        "labels": ["SMS" if b.channel == "sms" else b.channel.replace("_", " ").capitalize() for b in lines],
        "datasets": [{"key": "planned", "label": "Planned", "values": [_number(b.planned) for b in lines]},
                     {"key": "actual", "label": "Actual", "values": [_number(b.actual) for b in lines]}],
    }
