"""`kempen report …` and `kempen spend …`: campaign figures and costs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table

from kempen.attribution.types import AttributionModel
from kempen.cli.common import WorkspaceOption, cli_actor, console, resolve_workspace, session_scope
from kempen.experiments.captions import NOUNS, format_change, format_interval, format_value
from kempen.experiments.schemas import ExperimentOut, Metric
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput
from kempen.reporting import costs, export, pdf, report, spend_import
from kempen.reporting.schemas import EstimateOut, Figures, Incrementality

report_app = typer.Typer(help="Campaign performance reports.", no_args_is_help=True)
spend_app = typer.Typer(help="Campaign spend: import ad platforms' reports, list what was spent.",
                        no_args_is_help=True)


class Output(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


class CampaignOutput(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


class Group(StrEnum):
    CHANNEL = "channel"
    CAMPAIGN = "campaign"
    SEGMENT = "segment"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _num(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _money(value: object) -> str:
    return "—" if value is None else f"{value:,.2f}"


# (label, field, how to show it); rows of the text tables, whose columns are the groups.
LINES = (("Audience", "audience", _num), ("Holdout", "holdout", _num), ("Sent", "sent", _num),
         ("Delivered", "delivered", _num), ("Bounced", "bounced", _num), ("Unique opens", "opens", _num),
         ("Open rate", "open_rate", _pct), ("Unique clicks", "clicks", _num), ("Click rate", "click_rate", _pct),
         ("Click-to-open", "click_to_open_rate", _pct), ("Machine opens", "machine_opens", _num),
         ("Machine clicks", "machine_clicks", _num), ("Unsubscribes", "unsubscribes", _num),
         ("Complaints", "complaints", _num), ("Conversions", "conversions", _num), ("Revenue", "revenue", _money),
         ("Cost", "cost", _money), ("ROI", "roi", _pct), ("ROAS", "roas", _num),
         ("Cost per acquisition", "cost_per_acquisition", _money))


def figures_table(title: str, rows: list[Figures], currency: str) -> Table:
    """A Rich table with one column per group (campaign, channel, variant...) and one row per figure."""
    table = Table(title=title, title_justify="left")
    table.add_column(f"({currency})", no_wrap=True)
    for row in rows:
        table.add_column(row.label, justify="right")
    for label, field, show in LINES:
        table.add_row(label, *(show(getattr(row, field)) for row in rows))
    return table


@report_app.command("campaign")
def campaign(campaign_id: int = typer.Argument(..., min=1, help="The campaign's id"),
             output: CampaignOutput = typer.Option(CampaignOutput.TEXT, "--format", "-f",
                                                   help="text (tables), json, csv or pdf (with --output)"),
             model: AttributionModel | None = typer.Option(None, "--model", help="Default: the workspace's"),
             segment: int | None = typer.Option(None, "--segment", min=1, help="Break recipients down by it"),
             metric: Metric | None = typer.Option(
                 None, "--metric", help="What A/B variants are compared on (default: the campaign's, else click_rate)"),
             to: Path | None = typer.Option(None, "--output", "-o", dir_okay=False,
                                            help="Write to this file instead of the terminal (needed for pdf)"),
             workspace: str | None = WorkspaceOption) -> None:
    """Show a campaign's figures: totals, per channel and variant, A/B tests, and what it earned and cost."""
    if output == CampaignOutput.PDF and to is None:
        raise InvalidInput("A PDF needs a file: add --output report.pdf.")
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        if output == CampaignOutput.PDF:
            assert to is not None
            body = pdf.campaign_report_pdf(session, workspace_id=workspace_id, campaign_id=campaign_id, model=model,
                                           segment_id=segment, metric=metric)
            _write(to, body)
            console.print(f"Wrote the report of campaign {campaign_id} to {to} ({len(body) // 1024:,} KB).",
                          highlight=False, soft_wrap=True)
            return
        found = report.campaign_report(session, workspace_id=workspace_id, campaign_id=campaign_id, model=model,
                                       segment_id=segment, metric=metric)
    if output in (CampaignOutput.JSON, CampaignOutput.CSV):
        text = (found.model_dump_json(indent=2) + "\n" if output == CampaignOutput.JSON
                else export.to_csv(export.campaign_sections(found), found.currency))
        if to is None:
            typer.echo(text, nl=False)
        else:
            _write(to, text.encode())
        return
    t = found.totals
    console.print(f"[bold]{found.name}[/] · {found.status} · model {found.model.value} · "
                  f"machine opens/clicks {'excluded' if found.machine_excluded else 'included'} "
                  f"({t.machine_opens:,} / {t.machine_clicks:,})", highlight=False)
    for title, rows in export.campaign_sections(found):
        console.print(figures_table(title, list(rows), found.currency))
    if found.budget:
        table = Table(title="Budget", title_justify="left")
        for name in ("Channel", "Planned", "Actual", "Variance"):
            table.add_column(name, justify="right" if name != "Channel" else "left")
        for line in found.budget:
            table.add_row(line.channel, _num(line.planned), _num(line.actual), _num(line.variance))
        console.print(table)
    if found.incrementality is not None:
        console.print(incrementality_table(found.incrementality, found.totals, found.currency))
    for experiment in found.experiments:
        console.print(experiment_table(experiment))
        console.print(experiment.caption, highlight=False, markup=False)


def _write(path: Path, body: bytes) -> None:
    """Write the whole file or nothing: a half-written report is worse than none."""
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(body)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInput(f"Could not write {path}: {exc.strerror or exc}.") from None


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _with_interval(experiment: ExperimentOut, e: EstimateOut, signed: bool = False) -> str:
    """A value (or, signed, a difference) and its interval: "5.0% (3.3 to 7.6)", "+10.0 (6.0 to 14.0)"."""
    if e.estimate is None:
        return "—"
    if signed:
        text = format_change(experiment, e.estimate).removesuffix(" points")
    else:
        text = format_value(experiment, e.estimate)
    interval = format_interval(experiment, e)
    return f"{text} ({interval})" if interval else text


def experiment_table(experiment: ExperimentOut) -> Table:
    """One message's variants: value with interval, against the control, p, probability best; the split check."""
    noun = NOUNS[experiment.metric]
    revenue = experiment.metric is Metric.REVENUE_PER_RECIPIENT
    until = experiment.until.strftime("%Y-%m-%d %H:%M UTC")
    title = (f"A/B test · {experiment.message_name} ({experiment.channel}) · {noun} · "
             f"{experiment.confidence:.0%} intervals · outcomes until {until}")
    table = Table(title=title, title_justify="left")
    control = experiment.arms[0].name
    unit = (experiment.currency or "") if revenue else "points"
    counted = "Revenue" if revenue else {Metric.OPEN_RATE: "Openers", Metric.CLICK_RATE: "Clickers",
                                         Metric.CONVERSION_RATE: "Converters"}[experiment.metric]
    for name in ("Variant", "Recipients", counted, noun.capitalize(), f"vs {control} ({unit})", "p", "P(best)"):
        table.add_column(name, justify="left" if name == "Variant" else "right", overflow="fold")
    comparisons = {c.variant_id: c for c in experiment.comparisons}
    for arm in experiment.arms:
        c = comparisons.get(arm.variant_id)
        leader = " ★" if arm.variant_id == experiment.leader_variant_id else ""
        counted_value = _money(arm.total) if revenue else _num(arm.successes)
        table.add_row(f"{arm.name}{leader}", _num(arm.recipients), counted_value,
                      _with_interval(experiment, arm.value),
                      "control" if c is None else _with_interval(experiment, c.absolute, signed=True),
                      "" if c is None else _p(c.p_value), _pct(arm.probability_best))
    planned = "/".join(f"{arm.planned_percent:g}" for arm in experiment.arms)
    verdict = "SAMPLE RATIO MISMATCH: do not trust this test" if experiment.srm_detected else "ok"
    test = experiment.comparisons[0].test if experiment.comparisons else "—"
    table.caption = (f"Split check against the planned {planned}: p {_p(experiment.srm_p_value)}, {verdict}. "
                     f"Test: {test}.")
    table.caption_justify = "left"
    return table


def _ci(e: EstimateOut, scale: float = 1.0, fmt: str = "{:+,.2f}") -> str:
    """An estimate and its interval as text, or "—" and the reason."""
    if e.estimate is None:
        return f"— ({e.reason})"
    text = fmt.format(e.estimate * scale)
    if e.low is not None and e.high is not None:
        text += f" ({fmt.format(e.low * scale)} to {fmt.format(e.high * scale)})"
    return f"{text}; {e.reason}" if e.reason else text


def incrementality_table(inc: Incrementality, totals: Figures, currency: str) -> Table:
    """Treated vs holdout and the incremental figures beside the attributed ones."""
    table = Table(title=f"Incrementality (holdout; {inc.confidence:.0%} intervals)", title_justify="left")
    for name in ("Figure", "Incremental (treated vs holdout)", "Attributed"):
        table.add_column(name, justify="left" if name == "Figure" else "right")
    for name, g in (("Treated", inc.treated), ("Holdout", inc.holdout)):
        table.add_row(f"{name}: contacts / converted / rate / revenue per contact",
                      f"{g.contacts:,} / {g.converted:,} / {_pct(g.conversion_rate)} / {_money(g.revenue_per_contact)}",
                      "")
    table.add_row("Conversion rate lift (points)", _ci(inc.rate_difference, 100, "{:+.1f}"), "")
    table.add_row("Conversion rate lift (relative)", _ci(inc.rate_lift, 100, "{:+.1f} %"), "")
    table.add_row("Conversions", _ci(inc.incremental_conversions, fmt="{:+,.1f}"), f"{totals.conversions:,.2f}")
    table.add_row(f"Revenue ({currency})", _ci(inc.incremental_revenue), _money(totals.revenue))
    table.add_row(f"ROI (cost {_money(inc.cost)})", _ci(inc.incremental_roi, 100, "{:+.1f} %"), _pct(totals.roi))
    return table


def _day(value: str | None, what: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput(f"{what}: {value!r} is not a date in the form YYYY-MM-DD.") from None


@report_app.command("channels")
def channels(group: Group = typer.Option(Group.CHANNEL, "--group", help="channel, campaign or segment"),
             since: str | None = typer.Option(None, help="First launch day (default: 90 days ago)"),
             until: str | None = typer.Option(None, help="Last launch day (default: today)"),
             output: Output = typer.Option(Output.TEXT, "--format", "-f"),
             model: AttributionModel | None = typer.Option(None, "--model"),
             workspace: str | None = WorkspaceOption) -> None:
    """Compare campaigns launched in a period per channel, campaign or segment."""
    end = _day(until, "--until") or utcnow().date()
    start = _day(since, "--since") or end - timedelta(days=89)
    as_dt = lambda d: datetime.combine(d, time.min).replace(tzinfo=utcnow().tzinfo)  # noqa: E731
    filters = report.ReportFilters(since=as_dt(start), until=as_dt(end + timedelta(days=1)), model=model)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        found = report.workspace_report(session, workspace_id=workspace_id, group=group.value, filters=filters)
    if output == Output.JSON:
        typer.echo(found.model_dump_json(indent=2))
    elif output == Output.CSV:
        typer.echo(export.to_csv([(group.value.capitalize(), found.rows)], found.currency), nl=False)
    else:
        console.print(figures_table(f"Per {group.value}, launched {start} – {end}", found.rows, found.currency))


@spend_app.command("import")
def import_spend(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
                 campaign_id: int | None = typer.Option(None, "--campaign", min=1,
                                                        help="The campaign (unless the file has a campaign column)"),
                 workspace: str | None = WorkspaceOption) -> None:
    """Import spend per day and channel from a CSV (date, channel, amount [, currency] [, campaign])."""
    text = file.read_text(encoding="utf-8-sig")
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        result = spend_import.import_spend_csv(session, workspace_id=workspace_id, actor=cli_actor(), text=text,
                                               campaign_id=campaign_id, filename=file.name)
    console.print(f"[green]✓[/] {result.rows:,} rows → {result.days:,} campaign-channel-days, "
                  f"{result.currency} {result.total:,.2f} ({result.replaced:,} days replaced)", highlight=False)


@spend_app.command("list")
def list_spend(campaign_id: int | None = typer.Option(None, "--campaign", min=1),
               workspace: str | None = WorkspaceOption) -> None:
    """List spend, newest day first."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        rows = costs.list_spend(session, workspace_id=workspace_id, campaign_id=campaign_id)
        table = Table()
        for name in ("Id", "Campaign", "Day", "Channel", "Amount", "Source"):
            table.add_column(name, justify="right" if name in ("Id", "Amount", "Campaign") else "left")
        for r in rows:
            table.add_row(str(r.id), str(r.campaign_id), r.spend_date.isoformat(), r.channel,
                          f"{r.currency} {r.amount:,.2f}", r.source)
    console.print(table)
