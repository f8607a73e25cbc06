"""`kempen demo`: fill a workspace with a deterministic, realistic demo dataset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kempen.accounts import service as accounts
from kempen.cli.common import WorkspaceOption, cli_actor, console, resolve_workspace, session_scope
from kempen.demo.generate import DemoSummary, ProgressCallback, ensure_can_generate, generate_demo
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput

# The bars shown while loading; other tables are counted in the summary only.
_BARS = ("contacts", "orders", "events")


@contextmanager
def _progress_bars(contacts: int) -> Iterator[ProgressCallback]:
    progress = Progress(TextColumn("{task.description:>9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False)
    tasks = {name: progress.add_task(name, total=contacts if name == "contacts" else None) for name in _BARS}

    def advance(table: str, rows: int) -> None:
        if table in tasks:
            progress.advance(tasks[table], rows)

    with progress:
        yield advance


def _print_summary(summary: DemoSummary, workspace_slug: str) -> None:
    table = Table(title=f"Demo data in workspace {workspace_slug!r} (seed {summary.seed}, as of {summary.as_of})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(f"[green]✓[/] {sum(summary.counts.values()):,} rows in {summary.seconds:.1f} s")


def run_demo(*, workspace_slug: str | None, contacts: int, seed: int, as_of: date | None = None,
             new_workspace: str | None = None, append: bool = False) -> DemoSummary:
    """Generate demo data into a workspace (or a new one), in one transaction."""
    if new_workspace and workspace_slug:
        raise InvalidInput("Use either --workspace or --new-workspace, not both.")
    as_of = as_of or utcnow().date()
    with session_scope() as session:
        if new_workspace:
            workspace = accounts.create_workspace(session, name=new_workspace)
        else:
            workspace = resolve_workspace(session, workspace_slug)
        slug = workspace.slug
        # Refuse before any progress bar appears.
        ensure_can_generate(session, workspace_id=workspace.id, contacts=contacts, append=append)
        with _progress_bars(contacts) as advance:
            summary = generate_demo(session, workspace_id=workspace.id, contacts=contacts, seed=seed, as_of=as_of,
                                    actor=cli_actor(), append=append, on_progress=advance)
    _print_summary(summary, slug)
    return summary


def _parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"--as-of must be a date as YYYY-MM-DD, got {value!r}.") from None


def demo_command(
    contacts: int = typer.Option(10_000, "--contacts", help="How many contacts"),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same data"),
    workspace: str | None = WorkspaceOption,
    new_workspace: str | None = typer.Option(None, "--new-workspace", help="Create a workspace with this name"),
    append: bool = typer.Option(False, "--append", help="Add to a workspace that already has demo contacts"),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Reference day YYYY-MM-DD; all dates lie before its midnight UTC (default: today)"),
) -> None:
    """Generate a deterministic, realistic demo dataset (same contacts, seed and --as-of → same rows)."""
    run_demo(workspace_slug=workspace, contacts=contacts, seed=seed, as_of=_parse_date(as_of),
             new_workspace=new_workspace, append=append)
