"""`kempen campaign launch|schedule|pause|resume|cancel|status`."""

from __future__ import annotations

import time
from datetime import datetime

import typer
from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from kempen.cli.campaigns import campaign_app
from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    exits_on_error,
    resolve_workspace,
    session_scope,
)
from kempen.delivery import control
from kempen.delivery.progress import campaign_progress
from kempen.delivery.schemas import CampaignProgress
from kempen.kit.errors import InvalidInput
from kempen.models import CampaignStatus, DeliveryStatus

__all__ = ["campaign_app"]
IdArgument = typer.Argument(..., min=1, help="The campaign's id")
LIVE = frozenset({CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED})


@campaign_app.command("launch")
@exits_on_error
def launch_command(campaign_id: int = IdArgument, workspace: str | None = WorkspaceOption) -> None:
    """Launch a campaign now: freeze its audience and write every delivery."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        result = control.launch_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id,
                                         actor=cli_actor())
    console.print(f"[green]✓[/] campaign {campaign_id} {result.status.value}: audience {result.audience:,}, "
                  f"holdout {result.holdout:,}, {result.deliveries:,} deliveries in {result.batches:,} batches")
    if result.winner_decide_at is not None:
        console.print(f"  automatic winner: {result.winner_rest:,} wait for the winner, picked at "
                      f"{result.winner_decide_at:%Y-%m-%d %H:%M} UTC")
    if result.status == CampaignStatus.RUNNING:
        console.print("  sending starts as soon as a worker runs (`kempen serve` or `kempen worker`); "
                      f"follow it with `kempen campaign status {campaign_id} --watch`")


def _parse_at(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--at: {text!r} is not an ISO 8601 date and time (e.g. 2026-05-01T09:00+02:00)") from None


@campaign_app.command("schedule")
@exits_on_error
def schedule_command(campaign_id: int = IdArgument,
                     at: str = typer.Option(..., "--at", help="ISO 8601 time; without an offset it is UTC"),
                     workspace: str | None = WorkspaceOption) -> None:
    """Launch a campaign at a future time."""
    when = _parse_at(at)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        campaign = control.schedule_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id,
                                             actor=cli_actor(), at=when)
        scheduled = campaign.scheduled_at
    assert scheduled is not None
    console.print(f"[green]✓[/] campaign {campaign_id} scheduled for {scheduled:%Y-%m-%d %H:%M:%S} UTC")


def _move(action: str, campaign_id: int, workspace: str | None) -> None:
    moves = {"pause": control.pause_campaign, "resume": control.resume_campaign, "cancel": control.cancel_campaign}
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        campaign = moves[action](session, workspace_id=workspace_id, campaign_id=campaign_id, actor=cli_actor())
        status = campaign.status
    console.print(f"[green]✓[/] campaign {campaign_id} is {status.value}")


@campaign_app.command("pause")
@exits_on_error
def pause_command(campaign_id: int = IdArgument, workspace: str | None = WorkspaceOption) -> None:
    """Pause a running campaign (workers stop within seconds)."""
    _move("pause", campaign_id, workspace)


@campaign_app.command("resume")
@exits_on_error
def resume_command(campaign_id: int = IdArgument, workspace: str | None = WorkspaceOption) -> None:
    """Resume a paused campaign."""
    _move("resume", campaign_id, workspace)


@campaign_app.command("cancel")
@exits_on_error
def cancel_command(campaign_id: int = IdArgument, workspace: str | None = WorkspaceOption) -> None:
    """Cancel a campaign: nothing more is sent."""
    _move("cancel", campaign_id, workspace)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def progress_table(progress: CampaignProgress) -> Table:
    """The numbers of one campaign as a two-column table."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("status", progress.status.value)
    table.add_row("audience", f"{progress.audience:,}")
    table.add_row("holdout", f"{progress.holdout:,}")
    table.add_row("deliveries", f"{progress.deliveries:,}")
    for status in DeliveryStatus:
        table.add_row(f"  {status.value}", f"{progress.by_status.get(status, 0):,}")
    table.add_row("  deferred (waiting)", f"{progress.deferred:,}")
    for title, reasons in (("skipped", progress.skipped_by_reason), ("failed", progress.failed_by_reason)):
        for reason, count in sorted(reasons.items()):
            table.add_row(f"{title}: {reason.value}", f"{count:,}")
    for variant in progress.variants:
        table.add_row(f"variant {variant.name} (message {variant.message_id})",
                      f"{variant.sent:,} sent of {variant.deliveries:,}")
    table.add_row("rate", f"{progress.rate_per_second:,.1f} msg/s")
    table.add_row("time left", _duration(progress.eta_seconds))
    return table


def _read(campaign_id: int, workspace: str | None) -> CampaignProgress:
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        return campaign_progress(session, workspace_id=workspace_id, campaign_id=campaign_id)


def _watch(campaign_id: int, workspace: str | None, interval: float) -> None:
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>5.1f} %"),
                   TextColumn("{task.fields[left]}"), console=console)
    task = bar.add_task("sending", total=1, left="")
    progress = _read(campaign_id, workspace)
    with Live(console=console, refresh_per_second=4) as live:
        while True:
            bar.update(task, total=max(1, progress.deliveries), completed=progress.done,
                       description=progress.status.value, left=f"ETA {_duration(progress.eta_seconds)}")
            live.update(Group(progress_table(progress), bar))
            if progress.status not in LIVE:
                return
            time.sleep(interval)
            progress = _read(campaign_id, workspace)


@campaign_app.command("status")
@exits_on_error
def status_command(campaign_id: int = IdArgument,
                   watch: bool = typer.Option(False, "--watch", help="Refresh live until the campaign finishes"),
                   as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
                   interval: float = typer.Option(1.0, "--interval", min=0.1, help="Seconds between refreshes"),
                   workspace: str | None = WorkspaceOption) -> None:
    """Show a campaign's progress: deliveries by status and reason, variants, rate and ETA."""
    if watch and not as_json:
        _watch(campaign_id, workspace, interval)
        return
    progress = _read(campaign_id, workspace)
    if as_json:
        typer.echo(progress.model_dump_json(indent=2))
    else:
        console.print(progress_table(progress))
