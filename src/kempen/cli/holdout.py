"""`kempen holdout …`: the workspace's universal holdout (show, enable, change, end) and its report."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from pydantic import ValidationError
from rich.table import Table

from kempen.cli.common import WorkspaceOption, cli_actor, console, resolve_workspace, session_scope
from kempen.experiments import universal_holdout as holdout
from kempen.experiments.schemas import EstimateOut
from kempen.experiments.universal_lift import UniversalLiftOut, universal_lift
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput

holdout_app = typer.Typer(help="The universal holdout: a share of contacts no campaign reaches, to measure the "
                               "total lift of marketing.", no_args_is_help=True)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of text")


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _share(percent: Decimal) -> str:
    """5 rather than 5.00: the column keeps two decimals."""
    return f"{percent.normalize():f}"


def _day(value: str | None, what: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput(f"{what}: {value!r} is not a date in the form YYYY-MM-DD.") from None


def _settings(values: dict[str, Any]) -> holdout.UniversalHoldoutSet:
    """Validated settings, or one readable line naming what is wrong."""
    try:
        return holdout.UniversalHoldoutSet.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        if field == "percent":
            raise InvalidInput("--percent must be from 1 to 20, with at most two decimals.") from None
        raise InvalidInput(f"{field}: {error['msg']}") from None


def _end_of(day: date | None) -> datetime | None:
    """An inclusive end date: the holdout stops at the end of that day (UTC)."""
    return None if day is None else datetime.combine(day + timedelta(days=1), time.min, UTC)


def _print_settings(out: holdout.UniversalHoldoutOut) -> None:
    console.print(f"Universal holdout: [bold]{out.state.value}[/]", highlight=False)
    if out.state is not holdout.HoldoutState.OFF:
        console.print(f"  share {_share(out.percent)} % · from {_when(out.starts_at)} · until "
                      f"{_when(out.ends_at) if out.ends_at else 'no end date'} · seed {out.seed}", highlight=False)
    console.print(f"  held out now: {out.held_out_now:,} of {out.contacts_now:,} contacts", highlight=False)


def _show(out: holdout.UniversalHoldoutOut, as_json: bool) -> None:
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
    else:
        _print_settings(out)


@holdout_app.command("show")
def show(as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """Show the holdout's state, share, period and how many contacts it holds out now."""
    with session_scope() as session:
        row = holdout.get_universal_holdout(session, workspace_id=resolve_workspace(session, workspace).id)
        out = holdout.universal_holdout_out(session, row)
    _show(out, as_json)


def _percent(value: str | None) -> Decimal | None:
    try:
        return None if value is None else Decimal(value)
    except InvalidOperation:
        raise InvalidInput(f"--percent: {value!r} is not a number.") from None


@holdout_app.command("enable")
def enable(percent: str | None = typer.Option(None, "--percent", help="Share held out, 1–20 (default 5)"),
           start: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD (default: now)"),
           until: str | None = typer.Option(None, "--until", help="Last day, inclusive (default: no end)"),
           seed: int | None = typer.Option(None, "--seed", min=0, help="Fix who is held out (default: random)"),
           as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """Start a new period: a new random group unless --seed is given."""
    first = _day(start, "--from")
    values: dict[str, Any] = {"ends_at": _end_of(_day(until, "--until"))}
    if percent is not None:
        values["percent"] = _percent(percent)
    if first is not None and first > utcnow().date():
        values["starts_at"] = datetime.combine(first, time.min, UTC)
    elif first is not None and first < utcnow().date():
        raise InvalidInput("--from: the holdout cannot start in the past.")
    if seed is not None:
        values["seed"] = seed
    data = _settings(values)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        row = holdout.enable_universal_holdout(session, workspace_id=workspace_id, actor=cli_actor(), data=data)
        out = holdout.universal_holdout_out(session, row)
    _show(out, as_json)


@holdout_app.command("change")
def change(until: str | None = typer.Option(None, "--until", help="New last day, inclusive"),
           no_end: bool = typer.Option(False, "--no-end", help="Run with no end date"),
           as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """Move the end of the current period (its share and group stay fixed once it runs)."""
    if (until is None) == (not no_end):
        raise InvalidInput("Give either --until DATE or --no-end.")
    data = _settings({"ends_at": _end_of(_day(until, "--until"))})
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        row = holdout.change_universal_holdout(session, workspace_id=workspace_id, actor=cli_actor(), data=data)
        out = holdout.universal_holdout_out(session, row)
    _show(out, as_json)


@holdout_app.command("end")
def end(as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """End the running period now (its report stays), or cancel a scheduled one."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        row = holdout.end_universal_holdout(session, workspace_id=workspace_id, actor=cli_actor())
        out = holdout.universal_holdout_out(session, row)
    _show(out, as_json)


def _ci(e: EstimateOut, scale: float = 1.0, fmt: str = "{:+,.2f}") -> str:
    if e.estimate is None:
        return f"— ({e.reason})" if e.reason else "—"
    text = fmt.format(e.estimate * scale)
    if e.low is not None and e.high is not None:
        text += f" ({fmt.format(e.low * scale)} to {fmt.format(e.high * scale)})"
    return text


def _p(value: float | None) -> str:
    return "—" if value is None else "< 0.001" if value < 0.001 else f"{value:.3f}"


def report_table(r: UniversalLiftOut) -> Table:
    """The two groups and the lift, one row per figure."""
    assert r.held_out is not None and r.exposed is not None and r.conversion is not None and r.revenue is not None
    table = Table(title=f"Universal holdout {_when(r.since)} to {_when(r.until)} · {_share(r.percent)} % held out · "
                        f"{r.confidence:.0%} intervals", title_justify="left")
    for name in ("Figure", "Could receive marketing", "Held out", "Difference"):
        table.add_column(name, justify="left" if name == "Figure" else "right")
    h, e = r.held_out, r.exposed
    table.add_row("Contacts", f"{e.contacts:,}", f"{h.contacts:,}", "")
    table.add_row("Converted", f"{e.converted:,}", f"{h.converted:,}", "")

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v * 100:.2f} %"
    table.add_row("Conversion rate (points)", pct(e.conversion_rate), pct(h.conversion_rate),
                  f"{_ci(r.conversion.difference, 100, '{:+.2f}')}, p {_p(r.conversion.p_value)}")
    table.add_row("  relative", "", "", _ci(r.conversion.relative, 100, "{:+.1f} %"))
    def money(v: float | None) -> str:
        return "—" if v is None else f"{v:,.2f}"
    table.add_row(f"Revenue per contact ({r.currency})", money(e.revenue_per_contact), money(h.revenue_per_contact),
                  f"{_ci(r.revenue.difference)}, p {_p(r.revenue.p_value)}")
    table.add_row("Conversions marketing added", "", "", _ci(r.conversion.incremental, fmt="{:+,.1f}"))
    table.add_row(f"Revenue marketing added ({r.currency})", "", "", _ci(r.revenue.incremental))
    table.caption = f"Tests: {r.conversion.test}; {r.revenue.test}."
    table.caption_justify = "left"
    return table


@holdout_app.command("report")
def report(as_json: bool = JsonOption,
           confidence: float = typer.Option(0.95, "--confidence", min=0.8, max=0.99, help="Of the intervals"),
           workspace: str | None = WorkspaceOption) -> None:
    """The total lift of all campaigns over the current or last period: held out against everyone else."""
    with session_scope() as session:
        found = universal_lift(session, workspace_id=resolve_workspace(session, workspace).id, confidence=confidence)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    if found.held_out is not None:
        console.print(report_table(found))
        console.print(f"Held out right now: {found.held_out_now:,} contacts.", highlight=False)
    console.print(found.caption, highlight=False, markup=False)
