"""One plain-language sentence under each chart: what it shows, with its uncertainty, for a manager to read.

Pure functions of the report schemas (no database, no web), shared by the report pages and the PDF, so a
chart and its forwarded copy always say the same thing. Figures are rounded for reading; the tables next
to each chart keep the exact numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from kempen.experiments.schemas import ArmOut, ExperimentOut, Metric
from kempen.reporting.schemas import BudgetLine, CampaignReport, Figures, Incrementality, SeriesPoint

if TYPE_CHECKING:
    from kempen.reporting.dashboard import Kpi

_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
METRIC_NAMES = {Metric.OPEN_RATE: "open rate", Metric.CLICK_RATE: "click rate",
                Metric.CONVERSION_RATE: "conversion rate", Metric.REVENUE_PER_RECIPIENT: "revenue per recipient"}


# Number words

def count(n: float) -> str:
    """A whole count with thousands separators: 1204 → "1,204"."""
    return f"{round(n):,}"


def plural(n: float, word: str, many: str | None = None) -> str:
    """ "1 click", "1,204 clicks"."""
    return f"{count(n)} {word if round(n) == 1 else (many or word + 's')}"


def money(amount: float | Decimal, currency: str) -> str:
    """€2,300 (whole above 100), €12.50 below; unknown currencies as "CHF 12.50"."""
    value = float(amount)
    text = f"{abs(value):,.0f}" if abs(value) >= 100 else f"{abs(value):,.2f}"
    sign = "−" if value < 0 and text.strip("0.,") else ""
    symbol = _SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency.upper()} {text}"


def percent(fraction: float) -> str:
    """0.1234 → "12.3%"."""
    return f"{fraction * 100:.1f}%"


def points(fraction: float) -> str:
    """A difference of rates in percentage points, unsigned: 0.012 → "1.2"."""
    return f"{abs(fraction) * 100:.1f}"


def _signed_points(fraction: float) -> str:
    return f"{fraction * 100:.1f}".replace("-", "−")


def _confidence(level: float) -> str:
    return f"{level * 100:.0f}%"


# Over time

def _duration(span: timedelta, *, first: bool, hours_until: int = 72) -> str:
    """ "6 hours", "4 days"; after "the first" one unit reads "hour" or "day" (hours up to `hours_until`)."""
    hours = max(1, math.ceil(span.total_seconds() / 3600))
    amount, unit = (hours, "hour") if hours <= hours_until else (math.ceil(hours / 24), "day")
    if amount == 1:
        return unit if first else f"1 {unit}"
    return f"{amount} {unit}s"


def _bucket_end(point: SeriesPoint) -> datetime:
    return point.start + (timedelta(hours=1) if point.bucket == "hour" else timedelta(days=1))


def series_caption(series: Sequence[SeriesPoint], launched_at: datetime | None = None) -> str:
    """When the opens came and how many clicks over how long, e.g. "Most opens came in the first 6 hours; …"."""
    if not series:
        return "Nothing has been sent yet."
    start = launched_at or series[0].start
    span = _duration(_bucket_end(series[-1]) - start, first=False, hours_until=47)
    clicks = sum(p.clicks for p in series)
    click_text = f"{plural(clicks, 'click')} over {span}" if clicks else f"no clicks over {span}"
    opens = sum(p.opens for p in series)
    if not opens:
        sent = sum(p.sent for p in series)
        return f"{plural(sent, 'message')} sent and no opens recorded; {click_text}."
    seen = 0
    for point in series:
        seen += point.opens
        if seen * 2 > opens:  # more than half: "most"
            return f"Most opens came in the first {_duration(_bucket_end(point) - start, first=True)}; {click_text}."
    raise AssertionError("unreachable: the opens add up")


# Channels

def channels_caption(channels: Sequence[Figures], currency: str) -> str:
    """Which channel earned the most and which engaged best, e.g. "Email brought €2,300 of €2,500 revenue; …"."""
    active = [c for c in channels if c.sent or c.revenue or c.cost]
    if not active:
        return "No channel has sent anything yet."
    revenue = sum((c.revenue for c in active), Decimal("0"))
    parts = []
    if revenue > 0:
        top = max(active, key=lambda c: c.revenue)
        earning = [c for c in active if c.revenue > 0]
        parts.append(f"{top.label} brought {money(top.revenue, currency)} of {money(revenue, currency)} revenue"
                     if len(earning) > 1 else f"{top.label} brought all {money(revenue, currency)} of revenue")
    else:
        parts.append("no revenue attributed yet")
    rated = [c for c in active if c.click_rate is not None]
    if rated:
        best = max(rated, key=lambda c: c.click_rate or 0.0)
        parts.append(f"{best.label} had the highest click rate ({percent(best.click_rate or 0.0)})"
                     if len(rated) > 1 else f"{best.label}'s click rate was {percent(best.click_rate or 0.0)}")
    costly = [c for c in active if c.cost]
    if costly:
        parts.append(f"cost {money(sum((c.cost for c in costly), Decimal('0')), currency)} in all")
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


# Variants

def _metric_value(metric: Metric, value: float, currency: str) -> str:
    return money(value, currency) if metric == Metric.REVENUE_PER_RECIPIENT else percent(value)


def _arm(experiment: ExperimentOut, variant_id: int | None) -> ArmOut | None:
    return next((a for a in experiment.arms if a.variant_id == variant_id), None)


def experiment_caption(experiment: ExperimentOut, currency: str = "EUR") -> str:
    """The analysis's own caption when it has one, else one built from its arms and comparisons."""
    if experiment.caption.strip():
        return experiment.caption.strip()
    currency = experiment.currency or currency
    name = METRIC_NAMES[experiment.metric]
    if len(experiment.arms) < 2 or not any(a.recipients for a in experiment.arms):
        return f"Not enough sends yet to compare the variants' {name}."
    leader = _arm(experiment, experiment.leader_variant_id) or max(
        experiment.arms, key=lambda a: a.value.estimate if a.value.estimate is not None else -math.inf)
    control = experiment.arms[0]
    if leader.variant_id == control.variant_id:
        text = f"{control.name} (the control) has the best {name}"
    else:
        comparison = next((c for c in experiment.comparisons if c.variant_id == leader.variant_id), None)
        diff = comparison.absolute.estimate if comparison else None
        if diff is None:
            text = f"{leader.name} has the best {name}"
        elif experiment.metric == Metric.REVENUE_PER_RECIPIENT:
            text = f"{leader.name}'s {name} is {money(diff, currency)} higher than {control.name}'s"
        else:
            text = f"{leader.name}'s {name} is {points(diff)} points higher than {control.name}'s"
    if leader.probability_best is not None:
        text += f"; {percent(leader.probability_best).replace('.0%', '%')} probability it is the best"
    if not experiment.significant:
        text += f" (not significant at {_confidence(experiment.confidence)})"
    return text + "."


def variants_caption(experiments: Sequence[ExperimentOut], variants: Sequence[Figures], currency: str = "EUR") -> str:
    """The experiments' captions, or, before any analysis, which variant leads on clicks (observed only)."""
    if experiments:
        return " ".join(experiment_caption(e, currency) for e in experiments)
    rated = [v for v in variants if v.click_rate is not None]
    if len(variants) < 2:
        return "One variant only: nothing to compare."
    if len(rated) < 2:
        return "The variants have not been sent yet."
    best = max(rated, key=lambda v: v.click_rate or 0.0)
    others = ", ".join(f"{percent(v.click_rate or 0.0)} for {v.label}" for v in rated if v is not best)
    return f"{best.label} has the highest observed click rate ({percent(best.click_rate or 0.0)} against {others})."


# Incrementality

def incrementality_caption(inc: Incrementality, currency: str) -> str:
    """The lift over the holdout with its interval and what it was worth."""
    diff = inc.rate_difference
    if diff.estimate is None:
        reason = f": {diff.reason}" if diff.reason else ""
        return f"The holdout cannot measure the campaign's effect yet{reason}."
    verb = "raised" if diff.estimate > 0 else "lowered" if diff.estimate < 0 else "did not change"
    text = f"The campaign {verb} the conversion rate"
    if diff.estimate:
        text += f" by {points(diff.estimate)} points"
    if diff.low is not None and diff.high is not None:
        text += (f" ({_confidence(inc.confidence)} interval {_signed_points(diff.low)} to "
                 f"{_signed_points(diff.high)})")
    text += " over the holdout"
    if (diff.low is None or diff.high is None) and diff.reason:
        text += f" ({diff.reason.rstrip('.')})"
    conversions, revenue = inc.incremental_conversions.estimate, inc.incremental_revenue.estimate
    if conversions is not None and round(conversions) > 0:
        text += f": about {plural(conversions, 'incremental conversion')}"
        if revenue is not None and revenue > 0:
            text += f" worth {money(revenue, currency)}"
    if diff.low is not None and diff.high is not None and diff.low <= 0 <= diff.high:
        text += "; the interval includes zero, so the effect may be none"
    return text + "."


# Budget

def budget_caption(lines: Sequence[BudgetLine], currency: str) -> str:
    """Actual cost against the plan, naming the channels over budget."""
    if not lines:
        return "No budget or costs recorded."
    actual = sum((line.actual for line in lines), Decimal("0"))
    planned_lines = [line for line in lines if line.planned is not None]
    if not planned_lines:
        return f"Spent {money(actual, currency)}; no budget was planned."
    planned = sum((line.planned or Decimal("0") for line in planned_lines), Decimal("0"))
    text = f"Spent {money(actual, currency)} of the {money(planned, currency)} planned"
    if planned:
        text += f" ({actual / planned * 100:.0f}%)"
    over = [line for line in planned_lines if line.variance is not None and line.variance > 0]
    if over:
        text += "; over budget: " + ", ".join(
            f"{_channel(line.channel)} by {money(line.variance or 0, currency)}" for line in over)
    return text + "."


def _channel(name: str) -> str:
    return "SMS" if name == "sms" else name.replace("_", " ").capitalize()


def campaign_captions(report: CampaignReport) -> dict[str, str]:
    """Every caption of a campaign report, by chart: series, channels, variants, incrementality, budget."""
    captions = {
        "series": series_caption(report.series, report.launched_at),
        "channels": channels_caption(report.channels, report.currency),
        "variants": variants_caption(report.experiments, report.variants, report.currency),
        "budget": budget_caption(report.budget, report.currency),
    }
    if report.incrementality is not None:
        captions["incrementality"] = incrementality_caption(report.incrementality, report.currency)
    return captions


# The dashboard

def trend_caption(trend: Sequence[SeriesPoint], bucket: str = "day") -> str:
    """The period's opens and clicks and its busiest day (or week) of sending."""
    if not any(p.sent or p.opens or p.clicks for p in trend):
        return "No campaign sent anything in this period."
    opens, clicks = sum(p.opens for p in trend), sum(p.clicks for p in trend)
    busiest = max(trend, key=lambda p: p.sent)
    span = plural(len(trend), bucket)
    when = busiest.start.strftime("%d %b").lstrip("0")
    busiest_text = (f"the busiest {bucket} was {'the week of ' if bucket == 'week' else ''}{when} "
                    f"({plural(busiest.sent, 'message')} sent)") if busiest.sent else "nothing was sent"
    return f"{plural(opens, 'open')} and {plural(clicks, 'click')} over {span}; {busiest_text}."


def _change(kpi: Kpi) -> str:
    if kpi.change is None:
        return "none in the previous period" if not kpi.previous else "no change to measure"
    if kpi.kind == "rate":
        if round(kpi.change * 1000) == 0:
            return "as before"
        return f"{'up' if kpi.change > 0 else 'down'} {points(kpi.change)} points"
    if round(kpi.change * 100) == 0:
        return "as before"
    return f"{'up' if kpi.change > 0 else 'down'} {abs(kpi.change) * 100:.0f}% on the previous period"


def kpis_caption(kpis: Sequence[Kpi], currency: str) -> str:
    """Revenue and click rate against the previous period, e.g. "Revenue €2,300, up 12% on the previous period; …"."""
    by_key = {k.key: k for k in kpis}
    revenue, click_rate = by_key.get("revenue"), by_key.get("click_rate")
    parts = []
    if revenue is not None and revenue.value is not None:
        parts.append(f"Revenue {money(revenue.value, currency)}, {_change(revenue)}")
    if click_rate is not None and click_rate.value is not None:
        parts.append(f"click rate {percent(click_rate.value)}, {_change(click_rate)}")
    if not parts:
        return "Nothing sent in this period."
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."
