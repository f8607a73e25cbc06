"""Every table of the report pages as an export.Table, keyed as in `?table=` (CSV or XLSX per table).

The pages render these same report objects, so a downloaded table has the rows and columns shown, with
numbers kept as numbers (rates as fractions; export.py turns them into percentages).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kempen.experiments.schemas import ExperimentOut, Metric
from kempen.reporting.captions import METRIC_NAMES
from kempen.reporting.dashboard import Dashboard
from kempen.reporting.export import Column, Table, figures_table
from kempen.reporting.schemas import CampaignReport, Incrementality, SeriesPoint, Spend

SERIES_COLUMNS = (Column("start", "From (UTC)", "date"), Column("bucket", "Period", "text"),
                  Column("sent", "Sent", "int"), Column("opens", "Unique opens", "int"),
                  Column("clicks", "Unique clicks", "int"), Column("unsubscribes", "Unsubscribes", "int"),
                  Column("bounces", "Bounces", "int"), Column("complaints", "Complaints", "int"),
                  Column("conversions", "Conversions", "number"), Column("revenue", "Revenue", "money"))


def series_table(key: str, title: str, series: Sequence[SeriesPoint]) -> Table:
    return Table(key, title, SERIES_COLUMNS, [[getattr(p, c.field) for c in SERIES_COLUMNS] for p in series])


def experiment_key(experiment: ExperimentOut) -> str:
    return f"experiment-{experiment.message_id}"


def experiment_table(experiment: ExperimentOut) -> Table:
    """Per variant: recipients, the metric with its interval, the difference to the control, p-value, P(best)."""
    value_kind = "money" if experiment.metric == Metric.REVENUE_PER_RECIPIENT else "rate"
    diff_kind = "money" if value_kind == "money" else "points"
    name = METRIC_NAMES[experiment.metric].capitalize()
    columns = (Column("name", "Variant", "text"), Column("planned", "Planned split", "number"),
               Column("recipients", "Recipients", "int"), Column("successes", "Successes", "int"),
               Column("value", name, value_kind), Column("low", "Low", value_kind), Column("high", "High", value_kind),
               Column("diff", "Difference to control", diff_kind), Column("diff_low", "Difference low", diff_kind),
               Column("diff_high", "Difference high", diff_kind), Column("relative", "Relative difference", "rate"),
               Column("rel_low", "Relative low", "rate"), Column("rel_high", "Relative high", "rate"),
               Column("p_value", "p-value", "p"), Column("test", "Test", "text"),
               Column("probability_best", "Probability best", "rate"))
    by_variant = {c.variant_id: c for c in experiment.comparisons}
    rows = []
    for arm in experiment.arms:
        cmp = by_variant.get(arm.variant_id)
        rows.append([arm.name, arm.planned_percent, arm.recipients, arm.successes, arm.value.estimate, arm.value.low,
                     arm.value.high, *((cmp.absolute.estimate, cmp.absolute.low, cmp.absolute.high,
                                        cmp.relative.estimate, cmp.relative.low, cmp.relative.high, cmp.p_value,
                                        cmp.test) if cmp else (None,) * 7 + ("control",)),
                     arm.probability_best])
    return Table(experiment_key(experiment), f"Test {experiment.message_name}", columns, rows)


def incrementality_tables(inc: Incrementality, report: CampaignReport) -> list[Table]:
    """The groups (treated, holdout) and the incremental figures beside the attributed ones."""
    groups = Table("incrementality-groups", "Holdout groups", (
        Column("group", "Group", "text"), Column("contacts", "Contacts", "int"), Column("converted", "Converted", "int"),
        Column("conversion_rate", "Conversion rate", "rate"), Column("revenue", "Revenue", "money"),
        Column("revenue_per_contact", "Revenue per contact", "money")),
        [[name, g.contacts, g.converted, g.conversion_rate, g.revenue, g.revenue_per_contact]
         for name, g in (("Treated", inc.treated), ("Holdout", inc.holdout))])
    t = report.totals
    # (label, unit, estimate, scale, attributed): one row per figure; numbers in the unit the row names.
    lines = [("Conversion rate difference", "points", inc.rate_difference, 100.0, None),
             ("Conversion rate lift", "%", inc.rate_lift, 100.0, None),
             ("Conversions", "conversions", inc.incremental_conversions, 1.0, t.conversions),
             ("Revenue per contact difference", report.currency, inc.revenue_difference, 1.0, None),
             ("Revenue", report.currency, inc.incremental_revenue, 1.0, t.revenue),
             ("ROI", "%", inc.incremental_roi, 100.0, None if t.roi is None else t.roi * 100)]
    columns = (Column("figure", "Figure", "text"), Column("unit", "Unit", "text"),
               Column("incremental", "Incremental (holdout)", "number"), Column("low", "Low", "number"),
               Column("high", "High", "number"), Column("attributed", f"Attributed ({report.model.value})", "number"),
               Column("method", "Method", "text"))

    def scaled(x: float | None, by: float) -> float | None:
        return None if x is None else x * by
    rows: list[list[Any]] = [[label, unit, scaled(e.estimate, k), scaled(e.low, k), scaled(e.high, k),
                              None if attributed is None else float(attributed), e.method]
                             for label, unit, e, k, attributed in lines]
    return [groups, Table("incrementality", "Incrementality", columns, rows)]


def campaign_tables(report: CampaignReport, spend: Sequence[Spend]) -> list[Table]:
    """The campaign page's tables, in the order the page shows them."""
    tables = [figures_table("totals", "Total", [report.totals])]
    if report.incrementality is not None:
        tables += incrementality_tables(report.incrementality, report)
    tables += [figures_table("channels", "Channels", report.channels, first="Channel"),
               figures_table("variants", "Variants", report.variants, first="Variant")]
    tables += [experiment_table(e) for e in report.experiments]
    if report.segment_breakdown:
        tables.append(figures_table("segment", "Segment", report.segment_breakdown, first="Recipients"))
    tables.append(series_table("series", "Over time", report.series))
    tables.append(Table("budget", "Budget", (
        Column("channel", "Channel", "text"), Column("planned", "Planned", "money"), Column("actual", "Actual", "money"),
        Column("variance", "Variance", "money")), [[b.channel, b.planned, b.actual, b.variance] for b in report.budget]))
    tables.append(Table("spend", "Spend", (
        Column("spend_date", "Day", "text"), Column("channel", "Channel", "text"), Column("amount", "Amount", "money"),
        Column("currency", "Currency", "text"), Column("source", "Source", "text"), Column("note", "Note", "text")),
        [[s.spend_date.isoformat(), s.channel, s.amount, s.currency, s.source, s.note] for s in spend]))
    return tables


KPI_COLUMNS = (Column("label", "Figure", "text"), Column("value", "This period", "number"),
               Column("previous", "Previous period", "number"), Column("change", "Change", "number"),
               Column("change_unit", "Change unit", "text"))


def dashboard_tables(dashboard: Dashboard) -> list[Table]:
    """The dashboard's tables: headline figures, the trend, channels and campaigns."""
    def shown(kind: str, v: float | None) -> float | int | None:
        return None if v is None else v * 100 if kind == "rate" else int(v) if kind == "int" else v
    kpis = [[k.label + (" (%)" if k.kind == "rate" else f" ({dashboard.currency})" if k.kind == "money" else ""),
             shown(k.kind, k.value), shown(k.kind, k.previous),
             None if k.change is None else k.change * 100, "points" if k.kind == "rate" else "%"]
            for k in dashboard.kpis]
    lines = dashboard.campaigns
    extra = ((Column("status", "Status", "text"), [c.status for c in lines]),
             (Column("launched_at", "Launched (UTC)", "date"), [c.launched_at for c in lines]))
    return [Table("kpis", "Headline", KPI_COLUMNS, kpis),
            series_table("trend", "Trend", dashboard.trend),
            figures_table("channels", "Channels", dashboard.channels, first="Channel"),
            figures_table("campaigns", "Campaigns", [c.figures for c in lines], first="Campaign", extra=extra)]
