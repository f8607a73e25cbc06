"""`kempen segment …`: count and preview rules, export members, manage segments and snapshots, refresh metrics."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    err_console,
    resolve_workspace,
    session_scope,
)
from kempen.db import get_session_factory
from kempen.kit.errors import KempenError
from kempen.segments import export, preview, schemas, scoring, service, snapshots

segment_app = typer.Typer(help="Count, export and manage segments.", no_args_is_help=True)
F = TypeVar("F", bound=Callable[..., Any])
_PROGRESS_MIN_ROWS = 20_000  # smaller exports take about a second; a bar would only flicker
RuleArgument = typer.Argument(..., help='A segment rule, e.g. \'country = "MY" and orders.count() > 2\'')


def show_error(exc: KempenError, rule_text: str | None = None) -> None:
    """One readable error; for a rule with a position, the line of the rule and a caret under the spot."""
    first = exc.errors[0] if exc.errors else {}
    line, column = first.get("line"), first.get("column")
    if rule_text is None or not line or not column:
        err_console.print(f"[red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
        return
    extra = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
    err_console.print(f"[red]error:[/] line {line}, column {column}: {first['message']}{extra}",
                      highlight=False, soft_wrap=True, markup=True)
    lines = rule_text.splitlines() or [""]
    source = lines[min(line, len(lines)) - 1]
    width = max(1, (first.get("end_column") or column + 1) - column)
    err_console.print(f"  {source}", highlight=False, soft_wrap=True, markup=False)
    err_console.print("  " + " " * (column - 1) + "^" * width, highlight=False, soft_wrap=True, markup=False)


def _exits_on_error(rule_param: str | None = None) -> Callable[[F], F]:
    """Turn a service error into one readable message and exit code 1 (also when called without `main`)."""

    def decorate(command: F) -> F:
        @wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except KempenError as exc:
                show_error(exc, kwargs.get(rule_param) if rule_param else None)
                raise typer.Exit(1) from None

        return run  # type: ignore[return-value]

    return decorate


@segment_app.command("count")
@_exits_on_error("rule")
def count(rule: str = RuleArgument, workspace: str | None = WorkspaceOption,
          show_preview: bool = typer.Option(False, "--preview", help="Also show reachability per channel and a sample"),
          sample_size: int = typer.Option(10, "--sample", min=0, max=100, help="Contacts in the sample")) -> None:
    """Count the contacts a rule matches now."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        parsed = service.parse_input(session, workspace_id, text=rule)
        if not show_preview:
            console.print(f"{preview.count_members(session, workspace_id, parsed):,}", highlight=False)
            return
        result = preview.preview(session, workspace_id, parsed, sample_size)
    _print_preview(result)


def _print_preview(result: schemas.Preview) -> None:
    console.print(f"[bold]{result.count:,}[/] contacts match", highlight=False)
    reach = Table(title="reachable", title_justify="left")
    reach.add_column("channel")
    reach.add_column("contacts", justify="right")
    reach.add_column("share", justify="right")
    for channel, number in result.reachable.model_dump().items():
        share = f"{number / result.count:.0%}" if result.count else "–"
        reach.add_row(channel, f"{number:,}", share)
    console.print(reach)
    if result.sample:
        people = Table(title="sample (newest first)", title_justify="left")
        for column in ("id", "name", "email", "country"):
            people.add_column(column)
        for c in result.sample:
            name = " ".join(p for p in (c.first_name, c.last_name) if p)
            people.add_row(str(c.id), name, c.email or "", c.country or "")
        console.print(people)


@segment_app.command("list")
@_exits_on_error()
def list_segments(workspace: str | None = WorkspaceOption) -> None:
    """List the saved segments with their rules."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        rows = [(s.id, s.name, s.rule_text) for s in service.list_segments(session, workspace_id=workspace_id)]
    table = Table()
    for column in ("id", "name", "rule"):
        table.add_column(column)
    for segment_id, name, text in rows:
        table.add_row(str(segment_id), name, text)
    console.print(table if rows else "no segments yet")


@segment_app.command("create")
@_exits_on_error("rule")
def create(name: str = typer.Argument(..., help="A name, unique in the workspace"), rule: str = RuleArgument,
           description: str = typer.Option("", "--description"), workspace: str | None = WorkspaceOption) -> None:
    """Save a rule as a segment."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        segment = service.create_segment(session, workspace_id=workspace_id, actor=cli_actor(),
                                         data=schemas.SegmentCreate(name=name, text=rule, description=description))
        segment_id = segment.id
        members = preview.count_members(session, workspace_id, service.parse_input(session, workspace_id, rule))
    console.print(f"[green]✓[/] segment #{segment_id} {name!r} created; {members:,} contacts match now",
                  highlight=False)


@segment_app.command("snapshot")
@_exits_on_error()
def snapshot(name: str = typer.Argument(..., help="The segment's name"),
             reason: str = typer.Option("", "--reason", help="Why (a campaign, a report)"),
             workspace: str | None = WorkspaceOption) -> None:
    """Freeze a segment's members as they are now."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        segment = service.get_segment_by_name(session, workspace_id=workspace_id, name=name)
        taken = snapshots.take_snapshot(session, workspace_id=workspace_id, actor=cli_actor(),
                                        segment_id=segment.id, reason=reason)
        snapshot_id, members = taken.id, taken.member_count
    console.print(f"[green]✓[/] snapshot #{snapshot_id} of {name!r}: {members:,} contacts", highlight=False)


@segment_app.command("refresh-metrics")
@_exits_on_error()
def refresh_metrics(workspace: str | None = WorkspaceOption) -> None:
    """Recompute order metrics, RFM groups and lead scores now."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        contacts = scoring.refresh_metrics(session, workspace_id=workspace_id)
    console.print(f"[green]✓[/] metrics recomputed for {contacts:,} contacts", highlight=False)


@segment_app.command("export")
@_exits_on_error("rule")
def export_members(name: str | None = typer.Argument(None, help="A saved segment's name"),
                   rule: str | None = typer.Option(None, "--rule", help="An unsaved rule instead of a segment"),
                   snapshot_id: int | None = typer.Option(None, "--snapshot", min=1, help="A snapshot's id instead"),
                   out: Path | None = typer.Option(None, "--out", "-o", help="The CSV file (default: standard output)"),
                   workspace: str | None = WorkspaceOption) -> None:
    """Export members as CSV: of a segment (NAME), of an unsaved rule (--rule) or of a snapshot (--snapshot)."""
    if sum(x is not None for x in (name, rule, snapshot_id)) != 1:
        err_console.print("[red]error:[/] give exactly one of NAME, --rule or --snapshot", highlight=False)
        raise typer.Exit(2)
    source, total = _export_source(workspace, name, rule, snapshot_id)
    with _progress(total) as progress:
        written = _write(source, out, progress)
    if out is not None:
        err_console.print(f"[green]✓[/] {written:,} contacts written to {out}", highlight=False, soft_wrap=True)


def _export_source(workspace: str | None, name: str | None, rule: str | None,
                   snapshot_id: int | None) -> tuple[export.ExportSource, int]:
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        if snapshot_id is not None:
            source = export.export_source(session, workspace_id=workspace_id, snapshot_id=snapshot_id)
            total = snapshots.get_snapshot(session, workspace_id=workspace_id, snapshot_id=snapshot_id).member_count
            return source, total
        if name is not None:
            segment_id = service.get_segment_by_name(session, workspace_id=workspace_id, name=name).id
            source = export.export_source(session, workspace_id=workspace_id, segment_id=segment_id)
        else:
            parsed = service.parse_input(session, workspace_id, text=rule)
            source = export.export_source(session, workspace_id=workspace_id, rule=parsed)
        assert source.rule is not None
        return source, preview.count_members(session, workspace_id, source.rule, source.now)


def _write(source: export.ExportSource, out: Path | None, progress: Callable[[int], None]) -> int:
    written = 0

    def counted(rows: int) -> None:
        nonlocal written
        written += rows
        progress(rows)

    chunks = export.stream_csv(get_session_factory(), source, progress=counted)
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
        return written
    with out.open("w", encoding="utf-8", newline="") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return written


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A bar on standard error (so it never mixes with CSV on standard output) for exports worth waiting for."""
    disabled = not err_console.is_terminal or total < _PROGRESS_MIN_ROWS
    bar = Progress(TextColumn("exporting"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.completed:,} of {task.total:,} contacts"), TimeRemainingColumn(),
                   console=err_console, disable=disabled, transient=True)
    task = bar.add_task("export", total=max(total, 1))
    with bar:
        yield lambda rows: bar.advance(task, rows)
