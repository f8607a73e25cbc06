"""A campaign report as an A4 PDF that a manager can forward: Jinja HTML with SVG charts, set by WeasyPrint.

The templates and the stylesheet live in `pdf_templates/`; charts are drawn in Python (`svg_charts`)
because WeasyPrint runs no JavaScript; captions come from `captions`, so the PDF says what the report
pages say. docs/decisions/0012-pdf-reports.md says why; docs/reporting.md ("PDF report") what is in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributionModel
from kempen.experiments.schemas import EstimateOut, ExperimentOut, Metric
from kempen.kit.clock import as_utc, utcnow
from kempen.models import Workspace
from kempen.reporting import captions, svg_charts
from kempen.reporting.report import campaign_report
from kempen.reporting.schemas import CampaignReport
from kempen.reporting.svg_charts import count, money, percent, points
from kempen.stats.summary import format_probability

TEMPLATES_DIR = Path(__file__).parent / "pdf_templates"
MODEL_NAMES = {"last_touch": "last touch", "first_touch": "first touch", "linear": "linear",
               "time_decay": "time decay", "position_based": "position based", "markov": "Markov chain"}


@dataclass(frozen=True)
class Headline:
    """One of the figures on the first page: a label, the number and a line that says what it counts."""

    label: str
    value: str
    detail: str


@dataclass(frozen=True)
class Chart:
    heading: str
    svg: Markup
    caption: str


def campaign_pdf(report: CampaignReport, *, workspace_name: str, generated_at: datetime) -> bytes:
    """The campaign report as PDF bytes: cover, headline figures, charts with captions, tables, methods."""
    from weasyprint import CSS, HTML  # imported on first use: it loads Pango, which most commands never need

    html = campaign_html(report, workspace_name=workspace_name, generated_at=generated_at)
    stylesheet = CSS(filename=str(TEMPLATES_DIR / "report.css"))
    pdf = HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(stylesheets=[stylesheet])
    assert pdf is not None  # write_pdf returns bytes when given no target
    return bytes(pdf)


def campaign_report_pdf(session: Session, *, workspace_id: int, campaign_id: int,
                        model: AttributionModel | None = None, segment_id: int | None = None,
                        metric: Metric | None = None, now: datetime | None = None) -> bytes:
    """The PDF of a campaign's report as the CLI, the API and the web page hand it out."""
    found = campaign_report(session, workspace_id=workspace_id, campaign_id=campaign_id, model=model,
                            segment_id=segment_id, metric=metric)
    workspace = session.get(Workspace, workspace_id)
    return campaign_pdf(found, workspace_name=workspace.name if workspace else "", generated_at=now or utcnow())


def campaign_html(report: CampaignReport, *, workspace_name: str, generated_at: datetime) -> str:
    """The HTML WeasyPrint sets; a separate step so that tests and previews can read it."""
    return _environment().get_template("campaign.html").render(
        report=report, workspace_name=workspace_name, generated_at=when(generated_at),
        generated_iso=as_utc(generated_at).isoformat(timespec="seconds"),
        model_name=MODEL_NAMES.get(report.model.value, report.model.value),
        headline=headline_figures(report), charts=charts(report), captions=captions.campaign_captions(report),
        experiments=[ExperimentView(e, *experiment_tables(e, report.currency)) for e in report.experiments],
        incrementality=incrementality_rows(report), methods=method_notes(report))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(count=count, money=money, percent=percent, points=points, when=when, p_value=p_value,
                       probability=probability, interval=interval, metric_value=metric_value,
                       metric_name=lambda m: svg_charts.METRIC_NAMES[m], channel=channel_name)
    return env


# Formats the templates use ------------------------------------------------------------------------------

def when(value: datetime | None) -> str:
    """1 Mar 2026, 10:00 UTC (every timestamp is stored in UTC)."""
    if value is None:
        return "—"
    value = as_utc(value)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def p_value(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def probability(value: float | None) -> str:
    return "—" if value is None else format_probability(value)


def interval(estimate: EstimateOut, fmt: Any = percent) -> str:
    """ "41.3% to 47.0%", or the reason there is none."""
    if estimate.low is None or estimate.high is None:
        return estimate.reason if estimate.estimate is not None and estimate.reason else "—"
    return f"{fmt(estimate.low)} to {fmt(estimate.high)}"


def metric_value(value: float | None, metric: Metric, currency: str, *, difference: bool = False) -> str:
    """A value of an experiment's metric: a rate (or a difference in points) or money per recipient."""
    if value is None:
        return "—"
    if metric == Metric.REVENUE_PER_RECIPIENT:
        return money(value, currency, signed=difference)
    return points(value) if difference else percent(value)


def channel_name(key: str) -> str:
    return "SMS" if key == "sms" else key.replace("_", " ").capitalize()


# What goes on the pages ---------------------------------------------------------------------------------

def headline_figures(report: CampaignReport) -> list[Headline]:
    """The eight figures of the first page, each with what it counts."""
    t, cur = report.totals, report.currency
    roas = "ROAS —" if t.roas is None else f"ROAS {t.roas:,.2f}"
    return [
        Headline("Sent", count(t.sent), f"of {count(t.audience)} in the audience"),
        Headline("Delivered", count(t.delivered), f"{percent(t.bounce_rate)} bounced"),
        Headline("Open rate", percent(t.open_rate), f"{count(t.opens)} unique opens"),
        Headline("Click rate", percent(t.click_rate), f"{count(t.clicks)} unique clicks"),
        Headline("Conversions", count(t.conversions), "attributed"),
        Headline("Revenue", money(t.revenue, cur), "attributed"),
        Headline("Cost", money(t.cost, cur), "spend and messages"),
        Headline("ROI", percent(t.roi, signed=True), roas),
    ]


def charts(report: CampaignReport) -> list[Chart]:
    """Every chart the report's data allows, in reading order, each with its caption."""
    found = captions.campaign_captions(report)
    drawn = []
    if report.series:
        drawn.append(Chart("Over time", Markup(svg_charts.series_chart(report.series)), found["series"]))
    for experiment in report.experiments:
        drawn.append(Chart(f"A/B test: {experiment.message_name}",
                           Markup(svg_charts.variants_chart(experiment, currency=report.currency)),
                           captions.experiment_caption(experiment, report.currency)))
    if report.incrementality is not None:
        drawn.append(Chart("Incrementality: treated against holdout",
                           Markup(svg_charts.incrementality_chart(report.incrementality)),
                           found["incrementality"]))
    if report.budget:
        labels = {line.channel: channel_name(line.channel) for line in report.budget}
        drawn.append(Chart("Budget", Markup(svg_charts.budget_chart(report.budget, currency=report.currency,
                                                                    labels=labels)), found["budget"]))
    return drawn


def method_notes(report: CampaignReport) -> list[str]:
    """The footnotes: how each figure was counted and which tests and intervals were used."""
    notes = [
        f"Opens and clicks count recipients, not events. Machine opens and clicks (mail privacy proxies, link "
        f"scanners) are {'excluded' if report.machine_excluded else 'included'}: "
        f"{count(report.totals.machine_opens)} machine opens and {count(report.totals.machine_clicks)} machine "
        "clicks. Open and click rates are per delivered message.",
        f"Conversions and revenue are attributed with the {MODEL_NAMES.get(report.model.value, report.model.value)} "
        f"model, from launch until {when(report.until)}; a conversion's credit is split between the messages "
        "that touched it, so conversions can be fractional.",
        f"Cost is spend entered or imported plus messages sent × cost per message; ROI = (revenue − cost) / cost, "
        f"ROAS = revenue / cost. All amounts are in {report.currency}.",
        "Time buckets are in UTC: hourly for the first three days after launch, daily after (the chart shows "
        "days once there are daily buckets).",
    ]
    notes += _experiment_notes(report.experiments)
    if report.incrementality is not None:
        inc = report.incrementality
        notes.append(
            f"Incrementality compares contacts who were sent the campaign with the holdout, who were sent nothing, "
            f"over {when(inc.since)} to {when(inc.until)}. Conversion rates: {inc.rate_test}; revenue per contact: "
            f"{inc.revenue_test}. Intervals at {inc.confidence:.0%}; the chart's group intervals are Wilson score "
            "intervals. Incremental ROI = (incremental revenue − cost) / cost.")
    return notes


def _experiment_notes(experiments: list[ExperimentOut]) -> list[str]:
    if not experiments:
        return []
    tests = sorted({c.test for e in experiments for c in e.comparisons})
    levels = sorted({f"{e.confidence:.0%}" for e in experiments})
    intervals = sorted({a.value.method for e in experiments for a in e.arms})
    notes = [f"A/B tests compare each variant with the first (the control), two-sided: {'; '.join(tests) or '—'}. "
             f"Intervals at {', '.join(levels)} ({'; '.join(intervals) or '—'} for each variant). The probability "
             "to be best is Bayesian: flat priors, Beta posteriors for rates and normal ones for means."]
    for e in experiments:
        if e.srm_detected:
            notes.append(f"{e.message_name}: sample ratio mismatch (p {p_value(e.srm_p_value)}): the recipients "
                         "were not split as planned, so do not trust this test's result.")
    return notes


# Tables computed here rather than in the template: each cell needs its own number format --------------

@dataclass(frozen=True)
class EstimateRow:
    """A table row: a figure, its estimate, interval and p-value, and the attributed figure beside it."""

    label: str
    estimate: str
    interval: str
    p_value: str = ""
    attributed: str = ""


def _estimate_row(label: str, e: EstimateOut, fmt: Any, p: float | None = None, *, tested: bool = False,
                  attributed: str = "") -> EstimateRow:
    return EstimateRow(label, _shown(e, fmt), interval(e, fmt),
                       p_value(p) if tested else "", attributed)


def incrementality_rows(report: CampaignReport) -> list[EstimateRow]:
    """Incremental figures with their intervals beside the attributed ones (empty without a holdout)."""
    inc, t, cur = report.incrementality, report.totals, report.currency
    if inc is None:
        return []

    def cash(v: Decimal | float | None) -> str:
        return money(v, cur)

    def signed_cash(v: float | None) -> str:
        return money(v, cur, signed=True)

    def conversions(v: float | None) -> str:
        return "—" if v is None else f"{v:+,.1f}".replace("-", "−")

    return [
        _estimate_row("Conversion rate, difference", inc.rate_difference, points, inc.rate_p_value, tested=True),
        _estimate_row("Conversion rate, relative lift", inc.rate_lift, signed_percent),
        _estimate_row("Revenue per contact, difference", inc.revenue_difference, signed_cash, inc.revenue_p_value,
                      tested=True),
        _estimate_row("Revenue per contact, relative lift", inc.revenue_lift, signed_percent),
        _estimate_row("Incremental conversions", inc.incremental_conversions, conversions,
                      attributed=count(t.conversions)),
        _estimate_row("Incremental revenue", inc.incremental_revenue, signed_cash, attributed=cash(t.revenue)),
        _estimate_row(f"Incremental ROI (cost {cash(inc.cost)})", inc.incremental_roi,
                      signed_percent, attributed=percent(t.roi, signed=True)),
    ]


@dataclass(frozen=True)
class ArmRow:
    name: str
    recipients: str
    outcome: str  # openers, clickers or converters; revenue for money metrics
    value: str
    interval: str
    probability_best: str


@dataclass(frozen=True)
class ComparisonRow:
    """One variant against the control: absolute and relative difference with intervals, and the test."""

    label: str
    difference: str
    difference_interval: str
    relative: str
    relative_interval: str
    p_value: str
    test: str


@dataclass(frozen=True)
class ExperimentView:
    experiment: ExperimentOut
    arms: list[ArmRow]
    comparisons: list[ComparisonRow]


def experiment_tables(experiment: ExperimentOut, currency: str) -> tuple[list[ArmRow], list[ComparisonRow]]:
    """The variants' values and each variant against the control, formatted for the experiment's metric."""
    metric = experiment.metric

    def value(v: float | None) -> str:
        return metric_value(v, metric, currency)

    def difference(v: float | None) -> str:
        return metric_value(v, metric, currency, difference=True)

    arms = [ArmRow(arm.name, count(arm.recipients),
                   money(arm.total, currency) if metric == Metric.REVENUE_PER_RECIPIENT
                   else count(arm.successes),
                   value(arm.value.estimate), interval(arm.value, value), probability(arm.probability_best))
            for arm in experiment.arms]
    control = experiment.arms[0].name if experiment.arms else "the control"
    comparisons = [ComparisonRow(f"{c.name} against {control}", _shown(c.absolute, difference),
                                 interval(c.absolute, difference), _shown(c.relative, signed_percent),
                                 interval(c.relative, signed_percent), p_value(c.p_value), c.test)
                   for c in experiment.comparisons]
    return arms, comparisons


def signed_percent(value: float | None) -> str:
    return percent(value, signed=True)


def _shown(e: EstimateOut, fmt: Any) -> str:
    """The estimate, or a dash and the reason it has none."""
    if e.estimate is not None:
        return str(fmt(e.estimate))
    return f"— ({e.reason})" if e.reason else "—"
