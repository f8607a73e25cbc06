"""`kempen objective …` (add, list, remove) and `kempen programme …` (create, list, show, assign)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.table import Table

from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    exits_on_error,
    resolve_workspace,
    session_scope,
)
from kempen.kit.errors import InvalidInput
from kempen.models import ObjectiveMetric
from kempen.planning import figures, measures, objectives, programmes, schemas

objective_app = typer.Typer(help="SMART objectives of campaigns and programmes, with their progress.",
                            no_args_is_help=True)
programme_app = typer.Typer(help="Programmes: campaigns grouped under an initiative, its budget and figures.",
                            no_args_is_help=True)
F = TypeVar("F", bound=Callable[..., Any])
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")
CampaignOption = typer.Option(None, "--campaign", "-c", min=1, help="The campaign's id")
ProgrammeOption = typer.Option(None, "--programme", "-p", min=1, help="The programme's id")


def _parsed(model: type[BaseModel], **fields: Any) -> Any:
    """Build a request model from options; its complaints as InvalidInput in one line."""
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where + ': ' if where else ''}{first['msg'].removeprefix('Value error, ')}") from None


def _owner(campaign: int | None, programme: int | None) -> None:
    if (campaign is None) == (programme is None):
        raise InvalidInput("Give either --campaign ID or --programme ID.")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:,.0f} %"


def _print_progress(items: list[schemas.ObjectiveProgress], currency: str) -> None:
    if not items:
        console.print("no objectives yet")
        return
    table = Table()
    for column in ("id", "metric", "baseline", "target", "deadline", "current", "progress", "verdict"):
        table.add_column(column)
    for o in items:
        value = ("" if o.current is None else measures.format_value(o.metric, o.current, currency))
        table.add_row(str(o.id), o.label, measures.format_value(o.metric, float(o.baseline), currency),
                      measures.format_value(o.metric, float(o.target), currency), o.deadline.isoformat(), value,
                      _percent(o.progress), o.verdict.label)
    console.print(table)
    for o in items:
        console.print(f"#{o.id}: {o.sentence}", highlight=False, markup=False, soft_wrap=True)
        for warning in o.warnings:
            console.print(f"  [yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


@objective_app.command("add")
@exits_on_error
def add(metric: ObjectiveMetric = typer.Option(..., "--metric", help="What to measure"),
        target: str = typer.Option(..., "--target", help="The value to reach (rates as fractions: 0.03 is 3 %)"),
        deadline: str = typer.Option(..., "--deadline", help="YYYY-MM-DD"),
        baseline: str = typer.Option("0", "--baseline", help="Where it starts"),
        conversion: str | None = typer.Option(None, "--conversion", help="For named_conversion: e.g. sign_up"),
        description: str | None = typer.Option(None, "--description"),
        relevance: str | None = typer.Option(None, "--relevance", help="Why it matters"),
        campaign: int | None = CampaignOption, programme: int | None = ProgrammeOption,
        workspace: str | None = WorkspaceOption) -> None:
    """Add a SMART objective to a campaign or a programme."""
    _owner(campaign, programme)
    data = _parsed(schemas.ObjectiveCreate, metric=metric, target=target, deadline=deadline, baseline=baseline,
                   conversion_name=conversion, description=description, relevance=relevance)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        found = objectives.add_objective(session, workspace_id=workspace_id, actor=cli_actor(), data=data,
                                         campaign_id=campaign, programme_id=programme)
        warnings = objectives.smart_warnings(found)
        label = measures.metric_label(found.metric, found.conversion_name)
        what = f"campaign #{campaign}" if campaign else f"programme #{programme}"
        console.print(f"objective #{found.id} added to {what}: {label}, target {target} by {found.deadline}",
                      highlight=False, soft_wrap=True)
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


@objective_app.command("list")
@exits_on_error
def list_objectives(campaign: int | None = CampaignOption, programme: int | None = ProgrammeOption,
                    as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """A campaign's or a programme's objectives with their current value, progress and pace."""
    _owner(campaign, programme)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        items = (objectives.campaign_progress(session, workspace_id=workspace_id, campaign_id=campaign)
                 if campaign is not None else
                 programmes.programme_detail(session, workspace_id=workspace_id,
                                             programme_id=programme or 0).objectives)
        currency = figures.workspace_currency(session, workspace_id)
    if as_json:
        typer.echo(TypeAdapter(list[schemas.ObjectiveProgress]).dump_json(items, indent=2).decode())
        return
    _print_progress(items, currency)


@objective_app.command("edit")
@exits_on_error
def edit(objective_id: int = typer.Argument(..., min=1, help="The objective's id"),
         target: str | None = typer.Option(None, "--target", help="The value to reach (rates as fractions)"),
         deadline: str | None = typer.Option(None, "--deadline", help="YYYY-MM-DD"),
         baseline: str | None = typer.Option(None, "--baseline", help="Where it starts"),
         description: str | None = typer.Option(None, "--description"),
         relevance: str | None = typer.Option(None, "--relevance", help="Why it matters"),
         workspace: str | None = WorkspaceOption) -> None:
    """Change an objective's baseline, target, deadline or texts (its metric stays: add another for that)."""
    given = {"target": target, "deadline": deadline, "baseline": baseline, "description": description,
             "relevance": relevance}
    if all(value is None for value in given.values()):
        raise InvalidInput("Nothing to change: give --target, --deadline, --baseline, --description or --relevance.")
    data = _parsed(schemas.ObjectiveUpdate, **{k: v for k, v in given.items() if v is not None})
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        found = objectives.get_objective_or_raise(session, workspace_id=workspace_id, objective_id=objective_id)
        objectives.update_objective(session, workspace_id=workspace_id, actor=cli_actor(), objective=found, data=data)
        warnings = objectives.smart_warnings(found)
        console.print(f"objective #{found.id} changed: target {found.target.normalize():f} by {found.deadline}",
                      highlight=False, soft_wrap=True)
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


@objective_app.command("remove")
@exits_on_error
def remove(objective_id: int = typer.Argument(..., min=1, help="The objective's id"),
           workspace: str | None = WorkspaceOption) -> None:
    """Remove an objective."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        found = objectives.get_objective_or_raise(session, workspace_id=workspace_id, objective_id=objective_id)
        objectives.remove_objective(session, workspace_id=workspace_id, actor=cli_actor(), objective=found)
    console.print(f"objective #{objective_id} removed")


@programme_app.command("create")
@exits_on_error
def create(name: str = typer.Argument(..., help="The programme's name"),
           budget: str | None = typer.Option(None, "--budget", help="Total planned, in the reporting currency"),
           starts: str | None = typer.Option(None, "--starts", help="YYYY-MM-DD"),
           ends: str | None = typer.Option(None, "--ends", help="YYYY-MM-DD"),
           description: str | None = typer.Option(None, "--description"),
           workspace: str | None = WorkspaceOption) -> None:
    """Create a programme."""
    data = _parsed(schemas.ProgrammeCreate, name=name, budget=budget, starts_on=starts, ends_on=ends,
                   description=description)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        found = programmes.create_programme(session, workspace_id=workspace_id, actor=cli_actor(), data=data)
        console.print(f"programme #{found.id} {found.name!r} created", highlight=False)


@programme_app.command("list")
@exits_on_error
def list_programmes(as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """Every programme, by name."""
    with session_scope() as session:
        items = programmes.list_programmes(session, workspace_id=resolve_workspace(session, workspace).id)
    if as_json:
        typer.echo(schemas.ProgrammePage(items=items).model_dump_json(indent=2))
        return
    if not items:
        console.print("no programmes yet")
        return
    table = Table()
    for column in ("id", "name", "campaigns", "budget", "starts", "ends"):
        table.add_column(column)
    for p in items:
        table.add_row(str(p.id), p.name, str(p.campaigns), "" if p.budget is None else f"{p.budget:,.2f}",
                      str(p.starts_on or ""), str(p.ends_on or ""))
    console.print(table)


def _money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{currency} {value:,.2f}"


@programme_app.command("show")
@exits_on_error
def show(programme_id: int = typer.Argument(..., min=1, help="The programme's id"), as_json: bool = JsonOption,
         workspace: str | None = WorkspaceOption) -> None:
    """A programme: its campaigns' figures, their sum against the budget, and its objectives."""
    with session_scope() as session:
        detail = programmes.programme_detail(session, workspace_id=resolve_workspace(session, workspace).id,
                                             programme_id=programme_id)
    if as_json:
        typer.echo(detail.model_dump_json(indent=2))
        return
    r = detail.rollup
    console.print(f"[bold]#{detail.id} {detail.name}[/]", highlight=False)
    console.print(f"sent {r.sent:,} · conversions {r.conversions:,.1f} · revenue {_money(r.revenue, r.currency)} · "
                  f"cost {_money(r.cost, r.currency)} · ROI {_percent(r.roi) or '—'}", highlight=False, soft_wrap=True)
    console.print(f"budget {_money(r.budget, r.currency)}" + (
        f", {_percent(r.budget_used)} used, {_money(r.budget_left, r.currency)} left" if r.budget is not None else ""),
        highlight=False, soft_wrap=True)
    table = Table(title="campaigns", title_justify="left")
    for column in ("id", "name", "status", "sent", "conversions", "revenue", "cost", "ROI"):
        table.add_column(column)
    for c in detail.campaigns:
        table.add_row(str(c.campaign_id), c.name, c.status.replace("_", " "), f"{c.sent:,}", f"{c.conversions:,.1f}",
                      f"{c.revenue:,.2f}", f"{c.cost:,.2f}", _percent(c.roi))
    console.print(table if detail.campaigns else "no campaigns yet")
    _print_progress(detail.objectives, r.currency)


@programme_app.command("assign")
@exits_on_error
def assign(programme_id: int = typer.Argument(..., min=1, help="The programme's id"),
           campaign_ids: list[int] = typer.Argument(..., help="One or more campaign ids"),
           remove_them: bool = typer.Option(False, "--remove", help="Take the campaigns out of the programme"),
           workspace: str | None = WorkspaceOption) -> None:
    """Put campaigns in a programme (or, with --remove, take them out)."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        programmes.get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id)
        for campaign_id in campaign_ids:
            if remove_them:
                programmes.unassign_campaign(session, workspace_id=workspace_id, actor=cli_actor(),
                                             programme_id=programme_id, campaign_id=campaign_id)
            else:
                programmes.assign_campaign(session, workspace_id=workspace_id, actor=cli_actor(),
                                           campaign_id=campaign_id, programme_id=programme_id)
    moved = ", ".join(f"#{c}" for c in campaign_ids)
    console.print(f"campaign {moved} {'taken out of' if remove_them else 'now in'} programme #{programme_id}",
                  soft_wrap=True)
