"""`kempen import contacts|orders FILE.csv`: stream a CSV file into the workspace, batch by batch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    err_console,
    resolve_workspace,
    session_scope,
)
from kempen.db import get_session_factory
from kempen.imports import service
from kempen.imports.mapping import ImportKind, parse_map_options
from kempen.imports.rejects import STORED_REJECTS_CAP, default_rejects_path
from kempen.imports.schemas import ImportProgress
from kempen.kit.errors import KempenError
from kempen.models import ImportRun

import_app = typer.Typer(help="Import contacts and orders from CSV files.", no_args_is_help=True)

_PROGRESS_MIN_BYTES = 1_000_000  # below this an import takes about a second; a bar would only flicker

FileArgument = typer.Argument(..., help="The CSV file (comma, semicolon or tab separated; UTF-8 preferred)")
MapOption = typer.Option(
    [], "--map", metavar="COLUMN=FIELD",
    help="Read COLUMN into FIELD, overriding detection (repeatable); FIELD 'ignore' skips the column",
)
RejectsOption = typer.Option(None, "--rejects", help="Where to list refused rows (default: FILE.rejects.csv)")
BatchOption = typer.Option(1000, "--batch-size", min=1, max=service.MAX_BATCH_SIZE,
                           help="Rows per transaction; a crash keeps every whole batch before it")
DryRunOption = typer.Option(False, "--dry-run", help="Check every row and list the rejects, but store nothing")


@import_app.command("contacts")
def import_contacts(file: Path = FileArgument, workspace: str | None = WorkspaceOption,
                    map_: list[str] = MapOption, rejects: Path | None = RejectsOption,
                    batch_size: int = BatchOption, dry_run: bool = DryRunOption) -> None:
    """Import contacts, matched by external id, then email, then phone (re-importing updates them).

    Columns are recognised by their headers (e.g. "E-mail", "Mobile", "First Name", "Customer ID",
    "Country", "Time zone", "Stage", "Tags", or a custom field's key or label). Empty cells leave
    stored values as they are. Tags are split on commas or semicolons.
    """
    _import("contacts", file, workspace, map_, rejects, batch_size, dry_run)


@import_app.command("orders")
def import_orders(file: Path = FileArgument, workspace: str | None = WorkspaceOption,
                  map_: list[str] = MapOption, rejects: Path | None = RejectsOption,
                  batch_size: int = BatchOption, dry_run: bool = DryRunOption) -> None:
    """Import orders, one row per line item: rows sharing an order id make one order.

    Order fields (order id, customer email or customer id, date, total, currency, status, channel)
    are taken from the first row of the order that has them; each row with a SKU adds a line item
    (sku, product name, category, quantity, price). Keep an order's rows together. The customer
    must already exist (import contacts first); re-importing an order replaces its line items.
    """
    _import("orders", file, workspace, map_, rejects, batch_size, dry_run)


def _import(kind: ImportKind, file: Path, workspace: str | None, map_: list[str], rejects: Path | None,
            batch_size: int, dry_run: bool) -> None:
    try:
        run, seconds, rejects_path = _run(kind, file, workspace, map_, rejects, batch_size, dry_run)
    except KempenError as exc:
        err_console.print(f"[red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    _summary(run, seconds, rejects_path, dry_run)


def _run(kind: ImportKind, file: Path, workspace: str | None, map_: list[str], rejects: Path | None,
         batch_size: int, dry_run: bool) -> tuple[ImportRun, float, Path]:
    overrides = parse_map_options(map_)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
    factory = get_session_factory()
    prepared = service.prepare_import(factory, workspace_id=workspace_id, kind=kind, path=file, mapping=overrides)
    _describe(prepared)
    rejects_path = rejects or default_rejects_path(file)
    rejects_path.unlink(missing_ok=True)  # a rejects file always belongs to the latest import of FILE
    started = time.perf_counter()
    with _progress_bar(prepared.source.size, kind) as progress:
        run = service.run_import(factory, prepared, workspace_id=workspace_id, actor=cli_actor(),
                                 batch_size=batch_size, progress=progress, rejects_path=rejects_path,
                                 dry_run=dry_run)
    return run, time.perf_counter() - started, rejects_path


def _describe(prepared: service.PreparedImport) -> None:
    pairs = ", ".join(f"{column} → {target}" for column, target in prepared.mapping.columns.items())
    console.print(f"columns: {pairs}", highlight=False, soft_wrap=True)
    for warning in prepared.source.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if prepared.mapping.unmapped:
        names = ", ".join(repr(c) for c in prepared.mapping.unmapped)
        err_console.print(f"[yellow]warning:[/] not imported (no matching field): {names}; "
                          "use --map 'COLUMN=FIELD' to import them or --map 'COLUMN=ignore' to silence this",
                          highlight=False, soft_wrap=True)


@contextmanager
def _progress_bar(total_bytes: int, kind: str) -> Iterator[service.ProgressCallback]:
    """A bar with rows, rows/s and time left, shown on a terminal for files big enough to wait for."""
    disabled = not err_console.is_terminal or total_bytes < _PROGRESS_MIN_BYTES
    bar = Progress(TextColumn(f"importing {kind}"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
                   TimeRemainingColumn(), console=err_console, disable=disabled, transient=True)
    task = bar.add_task(kind, total=max(total_bytes, 1), rows=0, rate=0.0)
    started = time.perf_counter()

    def update(p: ImportProgress) -> None:
        rate = p.rows / max(time.perf_counter() - started, 1e-6)
        bar.update(task, completed=p.bytes_read, rows=p.rows, rate=rate)

    with bar:
        yield update


def _summary(run: ImportRun, seconds: float, rejects_path: Path, dry_run: bool) -> None:
    rate = run.total_rows / seconds if seconds > 0 else 0.0
    verb = "would be" if dry_run else "were"
    tail = "dry run: nothing was stored" if dry_run else f"import #{run.id}"
    console.print(f"[green]✓[/] {run.total_rows:,} rows in {seconds:.1f} s ({rate:,.0f} rows/s): "
                  f"{run.created_rows:,} {run.kind} {verb} created, {run.updated_rows:,} updated, "
                  f"{run.rejected_rows:,} rows rejected ({tail})", highlight=False, soft_wrap=True)
    if run.rejected_rows:
        console.print(f"  rejected rows with line numbers and reasons: {rejects_path}", highlight=False,
                      soft_wrap=True)
    if run.rejected_rows > STORED_REJECTS_CAP and not dry_run:
        console.print(f"  (the copy kept with the import run holds the first {STORED_REJECTS_CAP:,}; "
                      "the file above has them all)", highlight=False, soft_wrap=True)
