"""`kempen campaign …`: create, list, show and preview campaigns, add email content, submit and approve;
the automatic winner's settings (`winner`) and its early decision (`pick-winner`)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, TypeAdapter
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from kempen.campaigns import lifecycle, messages, preview, schemas, service
from kempen.campaigns.winner import MAX_WAIT_MINUTES, MIN_WAIT_MINUTES, describe_settings
from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    exits_on_error,
    resolve_workspace,
    session_scope,
)
from kempen.delivery import winner
from kempen.experiments.schemas import Metric, WinnerFallback
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import Campaign, CampaignStatus, Channel, Role
from kempen.segments import service as segments
from kempen.teamwork import comments as review
from kempen.teamwork.actors import Acting

campaign_app = typer.Typer(help="Campaigns: create, preview, launch and follow them.", no_args_is_help=True)
F = TypeVar("F", bound=Callable[..., Any])
IdArgument = typer.Argument(..., min=1, help="The campaign's id")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table")


class Part(StrEnum):
    HTML = "html"
    TEXT = "text"
    SUBJECT = "subject"


def _print_json(value: BaseModel | list[Any]) -> None:
    if isinstance(value, BaseModel):
        typer.echo(value.model_dump_json(indent=2))
    else:
        typer.echo(TypeAdapter(list[schemas.CampaignSummary]).dump_json(value, indent=2).decode())


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@campaign_app.command("list")
@exits_on_error
def list_campaigns(status: CampaignStatus | None = typer.Option(None, "--status",
                                                                help="Only this status (default: all but archived)"),
                   search: str | None = typer.Option(None, "--search", "-q", help="Part of the name"),
                   limit: int = typer.Option(100, "--limit", min=1, max=500),
                   as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """List campaigns, newest first."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        rows, _ = service.list_campaigns(session, workspace_id=workspace_id, status=status, q=search, limit=limit)
        summaries = service.campaign_summaries(session, workspace_id=workspace_id, campaigns=rows)
    if as_json:
        _print_json(summaries)
        return
    if not summaries:
        console.print("no campaigns yet")
        return
    table = Table()
    for column in ("id", "name", "status", "channels", "scheduled", "launched", "finished"):
        table.add_column(column)
    for c in summaries:
        table.add_row(str(c.id), c.name, lifecycle.label(c.status), ", ".join(c.channels), _when(c.scheduled_at),
                      _when(c.launched_at), _when(c.finished_at))
    console.print(table)


@campaign_app.command("show")
@exits_on_error
def show(campaign_id: int = IdArgument, as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """Show a campaign: audience, messages and variants, and what keeps it from launch."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        detail = service.campaign_detail(session, workspace_id=workspace_id, campaign_id=campaign_id)
        problems = service.readiness_problems(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if as_json:
        typer.echo(detail.model_dump_json(indent=2))
        return
    _print_detail(detail, problems)


def _print_detail(detail: schemas.CampaignDetail, problems: list[str]) -> None:
    console.print(f"[bold]#{detail.id} {detail.name}[/] — {lifecycle.label(detail.status)}", highlight=False)
    audience = f"segment #{detail.segment_id} {detail.segment_name!r}" if detail.segment_id else "no segment"
    console.print(f"audience: {audience}, holdout {detail.holdout_percent:g} %", highlight=False)
    console.print(f"automatic winner: {describe_settings(detail)}", highlight=False, soft_wrap=True)
    if detail.winner_decision:
        console.print(f"  {detail.winner_decision.get('summary', '')}", highlight=False, markup=False, soft_wrap=True)
    elif detail.winner_decide_at:
        console.print(f"  decides at {_when(detail.winner_decide_at)} UTC", highlight=False)
    if detail.scheduled_at:
        console.print(f"scheduled: {_when(detail.scheduled_at)} UTC", highlight=False)
    table = Table(title="messages", title_justify="left")
    for column in ("message", "channel", "variant", "id", "split", "subject / body"):
        table.add_column(column)
    for message in detail.messages:
        if not message.variants:
            table.add_row(message.name, message.channel.value, "–", "", "", "")
        for variant in message.variants:
            table.add_row(message.name, message.channel.value, variant.name, str(variant.id),
                          f"{variant.split_percent} %", (variant.subject or variant.body)[:60])
    console.print(table if detail.messages else "no messages yet")
    if problems:
        console.print("[yellow]not ready:[/]")
        for problem in problems:
            console.print(f"  - {problem}", highlight=False, markup=False)
    elif detail.status in (CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW):
        console.print("[green]ready[/] for review and launch")


def _segment_id(session: Session, workspace_id: int, segment: str) -> int:
    if segment.isdigit():
        return int(segment)
    return segments.get_segment_by_name(session, workspace_id=workspace_id, name=segment).id


WAIT_UNITS = {"m": 1, "min": 1, "h": 60, "d": 24 * 60}
WinnerMetricOption = typer.Option(None, "--winner", help="Turn the automatic winner on, deciding on this metric")
TestPercentOption = typer.Option(None, "--test-percent", min=5, max=50,
                                 help="Percent of the recipients the variants are tested on (default 20)")
WaitOption = typer.Option(None, "--wait", help="From launch to the decision: 30m to 7d, e.g. 90m, 4h, 2d (default 4h)")
FallbackOption = typer.Option(None, "--fallback", help="Without a significant winner: first, leader or none "
                                                       "(default first)")


def wait_minutes(text: str) -> int:
    """"90m", "4h", "2d" or plain minutes, between 30 minutes and 7 days; InvalidInput otherwise."""
    value = text.strip().lower()
    unit = next((u for u in ("min", "m", "h", "d") if value.endswith(u)), "")
    amount = value.removesuffix(unit).strip() if unit else value
    if not amount.isdigit() or len(amount) > 6:
        raise InvalidInput(f"--wait: {text!r} is not a duration; use e.g. 90m, 4h or 2d.")
    minutes = int(amount) * WAIT_UNITS.get(unit, 1)
    if not MIN_WAIT_MINUTES <= minutes <= MAX_WAIT_MINUTES:
        raise InvalidInput(f"--wait: {text!r} is outside 30 minutes to 7 days.")
    return minutes


def _winner_fields(metric: Metric | None, test_percent: int | None, wait: str | None,
                   fallback: WinnerFallback | None) -> dict[str, Any]:
    given = {"winner_metric": metric.value if metric else None, "winner_test_percent": test_percent,
             "winner_wait_minutes": wait_minutes(wait) if wait is not None else None,
             "winner_fallback": fallback.value if fallback else None}
    return {key: value for key, value in given.items() if value is not None}


@campaign_app.command("create")
@exits_on_error
def create(name: str = typer.Option(..., "--name", help="A name, unique in the workspace"),
           segment: str = typer.Option(..., "--segment", help="The audience: a segment's id or name"),
           holdout: float = typer.Option(0, "--holdout", min=0, max=50, help="Percent kept as a control group"),
           description: str = typer.Option("", "--description"),
           winner_metric: Metric | None = WinnerMetricOption, test_percent: int | None = TestPercentOption,
           wait: str | None = WaitOption, fallback: WinnerFallback | None = FallbackOption,
           workspace: str | None = WorkspaceOption) -> None:
    """Create a draft campaign for a segment (optionally with an automatic winner)."""
    winner_settings = _winner_fields(winner_metric, test_percent, wait, fallback)
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        data = schemas.CampaignCreate(name=name, segment_id=_segment_id(session, workspace_id, segment),
                                      holdout_percent=round(holdout, 2), description=description, **winner_settings)
        campaign_id = service.create_campaign(session, workspace_id=workspace_id, actor=cli_actor(), data=data).id
    console.print(f"[green]✓[/] campaign #{campaign_id} {name!r} created (draft); add content with "
                  f"`kempen campaign add-email {campaign_id} …`", highlight=False, soft_wrap=True)


def _read(path: Path | None) -> str | None:
    return path.read_text(encoding="utf-8") if path is not None else None


@campaign_app.command("add-email")
@exits_on_error
def add_email(campaign_id: int = IdArgument,
              subject: str = typer.Option(..., "--subject", help="The subject line (a template)"),
              html_file: Path = typer.Option(..., "--html-file", exists=True, dir_okay=False, readable=True,
                                             help="The HTML body (a template)"),
              text_file: Path | None = typer.Option(None, "--text-file", exists=True, dir_okay=False, readable=True,
                                                    help="A plain-text part (default: derived from the HTML)"),
              preheader: str = typer.Option("", "--preheader", help="Inbox preview text"),
              variant: str | None = typer.Option(None, "--variant", help="The variant's name (default: next letter)"),
              split: int | None = typer.Option(None, "--split", min=1, max=100,
                                               help="Percent of the audience (default: split evenly)"),
              from_email: str | None = typer.Option(None, "--from-email", help="Sender, instead of the workspace's"),
              workspace: str | None = WorkspaceOption) -> None:
    """Add email content: the campaign's email message, or another A/B variant of it."""
    content = schemas.VariantCreate(name=variant, split_percent=split, subject=subject, preheader=preheader,
                                    html=html_file.read_text(encoding="utf-8"), text=_read(text_file))
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        message_id = _add_email(session, workspace_id, campaign_id, content, from_email)
        added = service.message_detail(session, workspace_id=workspace_id, campaign_id=campaign_id,
                                       message_id=message_id)
    splits = ", ".join(f"{v.name} {v.split_percent} %" for v in added.variants)
    console.print(f"[green]✓[/] campaign #{campaign_id}, message {added.name!r}: variants {splits}", highlight=False)


def _add_email(session: Session, workspace_id: int, campaign_id: int, content: schemas.VariantCreate,
               from_email: str | None) -> int:
    actor = cli_actor()
    detail = service.campaign_detail(session, workspace_id=workspace_id, campaign_id=campaign_id)
    existing = next((m for m in detail.messages if m.channel == Channel.EMAIL), None)
    if existing is None:
        created = messages.add_message(session, workspace_id=workspace_id, actor=actor, campaign_id=campaign_id,
                                       data=schemas.MessageCreate(channel=Channel.EMAIL, from_email=from_email,
                                                                  variants=[content]))
        return created.id
    messages.add_variant(session, workspace_id=workspace_id, actor=actor, campaign_id=campaign_id,
                         message_id=existing.id, data=content)
    if from_email is not None:
        messages.update_message(session, workspace_id=workspace_id, actor=actor, campaign_id=campaign_id,
                                message_id=existing.id, data=schemas.MessageUpdate(from_email=from_email))
    return existing.id


@campaign_app.command("preview")
@exits_on_error
def preview_command(campaign_id: int = IdArgument,
                    variant_id: int | None = typer.Option(None, "--variant", min=1,
                                                          help="A variant's id (default: the first)"),
                    contact_id: int | None = typer.Option(None, "--contact", min=1,
                                                          help="A contact's id (default: the sample contact)"),
                    part: Part | None = typer.Option(None, "--part", help="Print only this part, raw"),
                    workspace: str | None = WorkspaceOption) -> None:
    """Render a variant for a contact: subject and text part, or one raw part."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        detail = service.campaign_detail(session, workspace_id=workspace_id, campaign_id=campaign_id)
        message_id, variant_id = _pick_variant(detail, variant_id)
        shown = preview.preview_variant(session, workspace_id=workspace_id, campaign_id=campaign_id,
                                        message_id=message_id, variant_id=variant_id, contact_id=contact_id)
    if part is not None:
        typer.echo(getattr(shown, part.value) if shown.channel == Channel.EMAIL else shown.body)
    elif shown.channel == Channel.EMAIL:
        typer.echo(f"Subject: {shown.subject}")
        if shown.preheader:
            typer.echo(f"Preheader: {shown.preheader}")
        typer.echo(f"\n{shown.text}")
    else:
        typer.echo(shown.body)


def _pick_variant(detail: schemas.CampaignDetail, variant_id: int | None) -> tuple[int, int]:
    for message in detail.messages:
        for variant in message.variants:
            if variant_id is None or variant.id == variant_id:
                return message.id, variant.id
    if variant_id is None:
        raise NotFound(f"Campaign {detail.id} has no content yet; add some with `kempen campaign add-email`.")
    raise NotFound(f"No variant {variant_id} in campaign {detail.id}.")


def _cli(workspace_id: int) -> Acting:
    # Review steps go through teamwork, which also writes the comment thread and notifies the team.
    return Acting(workspace_id=workspace_id, role=Role.OWNER, actor=cli_actor())


def _moved(campaign: Campaign) -> None:
    console.print(f"[green]✓[/] campaign #{campaign.id} {campaign.name!r} is now {lifecycle.label(campaign.status)}",
                  highlight=False)


@campaign_app.command("submit")
@exits_on_error
def submit(campaign_id: int = IdArgument, workspace: str | None = WorkspaceOption) -> None:
    """Submit a ready campaign for review."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        _moved(review.submit_for_review(session, who=_cli(workspace_id), campaign_id=campaign_id))


@campaign_app.command("approve")
@exits_on_error
def approve(campaign_id: int = IdArgument, workspace: str | None = WorkspaceOption) -> None:
    """Approve a campaign in review."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        _moved(review.approve(session, who=_cli(workspace_id), campaign_id=campaign_id))


@campaign_app.command("winner")
@exits_on_error
def winner_settings(campaign_id: int = IdArgument, metric: Metric | None = typer.Option(
                        None, "--metric", help="Decide on this metric (turns the automatic winner on)"),
                    off: bool = typer.Option(False, "--off", help="Turn the automatic winner off"),
                    test_percent: int | None = TestPercentOption, wait: str | None = WaitOption,
                    fallback: WinnerFallback | None = FallbackOption, workspace: str | None = WorkspaceOption) -> None:
    """Set a campaign's automatic winner before launch: test share, wait, metric and fallback."""
    if off and metric is not None:
        raise InvalidInput("Give --metric or --off, not both.")
    fields = _winner_fields(metric, test_percent, wait, fallback)
    data = schemas.CampaignUpdate(**fields, **({"winner_metric": None} if off else {}))
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        campaign = service.update_campaign(session, workspace_id=workspace_id, actor=cli_actor(),
                                           campaign_id=campaign_id, data=data)
        summary = describe_settings(campaign)
    console.print(f"[green]✓[/] campaign #{campaign_id}, automatic winner: {escape(summary)}", highlight=False,
                  soft_wrap=True)


@campaign_app.command("pick-winner")
@exits_on_error
def pick_winner(campaign_id: int = IdArgument,
                variant_id: int | None = typer.Option(None, "--variant", min=1,
                                                      help="This variant wins its message (default: the figures)"),
                workspace: str | None = WorkspaceOption) -> None:
    """Decide a running campaign's automatic winner now and send it to the rest of the audience."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        campaign = winner.pick_winner_now(session, workspace_id=workspace_id, campaign_id=campaign_id,
                                          actor=cli_actor(), variant_id=variant_id)
        summary = (campaign.winner_decision or {}).get("summary", "decided")
    console.print(f"[green]✓[/] campaign #{campaign_id}: {escape(summary)}", highlight=False, soft_wrap=True)
