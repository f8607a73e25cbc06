"""`kempen calendar` (a month or week of campaign events, or an .ics file) and `kempen budget …` (plans by month)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.table import Table
from sqlalchemy.orm import Session

from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    exits_on_error,
    resolve_workspace,
    session_scope,
)
from kempen.config import get_settings
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput
from kempen.models import Channel, Role
from kempen.planning import budgets, calendar, calendar_feed, ics
from kempen.teamwork.mentions import workspace_members

budget_app = typer.Typer(help="Budgets per channel and month: plan, list against actual, warnings.",
                         no_args_is_help=True)


@exits_on_error
def calendar_command(
    action: str = typer.Argument(None, metavar="[feed-url]",
                                 help="feed-url: print a member's secret calendar feed URL (for calendar apps)"),
    month: str = typer.Option(None, "--month", help="YYYY-MM (default: this month)"),
    week: str = typer.Option(None, "--week", help="A day (YYYY-MM-DD): show its week instead of a month"),
    channel: Channel = typer.Option(None, "--channel", help="Only campaigns with a message on this channel"),
    programme: int = typer.Option(None, "--programme", min=1, help="Only campaigns of this programme id"),
    owner: int = typer.Option(None, "--owner", min=1, help="Only campaigns owned by this user id"),
    ics_file: Path = typer.Option(None, "--ics", help="Write the events as iCalendar to this file instead"),
    reset: bool = typer.Option(False, "--reset", help="feed-url: invalidate the old URL and print a new one"),
    member: str = typer.Option(None, "--as", help="feed-url: the member (email); default: the workspace's owner"),
    workspace: str = WorkspaceOption,
) -> None:
    """The campaign calendar (UTC): planned periods, scheduled and actual sends, finishes; or `feed-url`."""
    filters = calendar.CalendarFilters(channel=channel, programme_id=programme, owner_id=owner)
    if action is not None:
        if action != "feed-url":
            raise InvalidInput(f"Unknown action {action!r}; the only one is feed-url.")
        _feed_url(workspace, member, filters, reset=reset)
        return
    today = utcnow().date()
    start, end = _period(month, week, today)
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        events = calendar.list_events(session, workspace_id=ws.id, since=calendar.day_start(start),
                                      until=calendar.day_start(end), filters=filters)
    if ics_file is not None:
        ics_file.write_bytes(ics.to_ics(events, base_url=get_settings().base_url, generated_at=utcnow()))
        console.print(f"{len(events)} events written to {ics_file}", highlight=False, soft_wrap=True)
        return
    table = Table(title=f"{start:%d %b %Y} – {end - timedelta(days=1):%d %b %Y} (UTC)")
    for column in ("When", "Campaign", "Event", "Status", "Channels"):
        table.add_column(column)
    for e in events:
        when = f"{e.first_day:%a %d %b} – {e.last_day:%a %d %b}" if e.all_day else f"{e.starts_at:%a %d %b %H:%M}"
        table.add_row(when, f"{e.campaign_name} (#{e.campaign_id})", e.label, e.status.value, ", ".join(e.channels))
    console.print(table if events else "No campaign events in this period.")


def _feed_member(session: Session, workspace_id: int, email: str | None) -> int:
    members = workspace_members(session, workspace_id=workspace_id)
    if email:
        wanted = email.strip().lower()
        found = [m.user_id for m in members if m.email == wanted]
        if not found:
            raise InvalidInput(f"{email} is not a member of this workspace.")
        return found[0]
    owners = [m.user_id for m in members if m.role == Role.OWNER]
    if len(owners) != 1:
        raise InvalidInput("Say whose feed it is: --as EMAIL (a member of the workspace).")
    return owners[0]


def _feed_url(workspace: str | None, member: str | None, filters: calendar.CalendarFilters, *, reset: bool) -> None:
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        user_id = _feed_member(session, ws.id, member)
        if reset:
            calendar_feed.reset_feed(session, workspace_id=ws.id, actor=cli_actor(), user_id=user_id)
        url = calendar_feed.feed_url(session, workspace_id=ws.id, user_id=user_id, base_url=get_settings().base_url,
                                     filters=filters)
    if reset:
        console.print("The old feed URL no longer works. The new one:", highlight=False)
    # Printed plainly (no wrapping, no markup) so it can be copied or piped whole.
    print(url)


def _period(month: str | None, week: str | None, today: date) -> tuple[date, date]:
    if week:
        try:
            monday = calendar.week_start(date.fromisoformat(week))
        except ValueError:
            raise InvalidInput(f"--week: {week!r} is not a day in the form YYYY-MM-DD.") from None
        return monday, monday + timedelta(days=7)
    first = calendar.parse_month(month, today)
    return first, budgets.next_month(first)


def _owner(campaign: int | None, programme: int | None) -> dict[str, int | None]:
    if (campaign is None) == (programme is None):
        raise InvalidInput("Give --campaign ID or --programme ID (one of them).")
    return {"campaign_id": campaign, "programme_id": programme}


CampaignOption = typer.Option(None, "--campaign", min=1, help="Campaign id")
ProgrammeOption = typer.Option(None, "--programme", min=1, help="Programme id")


@budget_app.command("set")
def set_command(
    channel: str = typer.Argument(..., help="email, sms, paid_search…"),
    month: str = typer.Argument(..., help="YYYY-MM"),
    amount: str = typer.Argument(..., help="In the workspace currency"),
    campaign: int = CampaignOption, programme: int = ProgrammeOption,
    warn: str = typer.Option(None, "--warn", help="Warn at this % of the plan (default: the workspace's)"),
    workspace: str = WorkspaceOption,
) -> None:
    """Plan a channel's amount in a month for a campaign or a programme."""
    owner = _owner(campaign, programme)
    try:
        data = budgets.MonthlyBudgetSet(channel=channel.strip().lower(), month=calendar.parse_month(month, date.today()),
                                        amount=_number(amount, "amount"),
                                        warn_percent=None if warn is None else _number(warn, "--warn"))
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InvalidInput(f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        row = budgets.set_monthly_budget(session, workspace_id=ws.id, actor=cli_actor(), data=data, **owner)
        console.print(f"Planned {row.currency} {row.amount:,.2f} on {row.channel} for {row.month:%B %Y}.",
                      highlight=False)


def _number(text: str, what: str) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"{what}: {text!r} is not a number.") from None


@budget_app.command("remove")
def remove_command(channel: str, month: str = typer.Argument(..., help="YYYY-MM"), campaign: int = CampaignOption,
                   programme: int = ProgrammeOption, workspace: str = WorkspaceOption) -> None:
    """Remove one month's plan on a channel."""
    owner = _owner(campaign, programme)
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        budgets.delete_monthly_budget(session, workspace_id=ws.id, actor=cli_actor(), channel=channel,
                                      month=calendar.parse_month(month, date.today()), **owner)
    console.print("Removed.")


@budget_app.command("list")
def list_command(campaign: int = CampaignOption, programme: int = ProgrammeOption,
                 workspace: str = WorkspaceOption) -> None:
    """Planned against actual per month and channel, with the variance and warnings."""
    _owner(campaign, programme)
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        lines = budgets.month_lines(session, workspace_id=ws.id, campaign_id=campaign, programme_id=programme)
    table = Table()
    for column in ("Month", "Channel", "Planned", "Actual", "Variance", "Used", "Status"):
        table.add_column(column, justify="right" if column in ("Planned", "Actual", "Variance", "Used") else "left")
    for ln in lines:
        status = {"over": "[red]over plan[/]", "warning": f"[yellow]past {ln.warn_percent.normalize():f} %[/]"}.get(ln.level, "ok")
        table.add_row(f"{ln.month:%Y-%m}", ln.channel, _money(ln.planned), _money(ln.actual), _money(ln.variance),
                      "—" if ln.used_percent is None else f"{ln.used_percent} %", status)
    console.print(table if lines else "No monthly plan or costs yet.")


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


@budget_app.command("threshold")
def threshold_command(percent: str = typer.Argument(None, help="New threshold in % of the plan; omit to show it"),
                      workspace: str = WorkspaceOption) -> None:
    """Show or change the workspace's warning threshold (default 90 % of the plan)."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        if percent is not None:
            budgets.set_warn_percent(session, workspace_id=ws.id, actor=cli_actor(),
                                     percent=_number(percent, "percent"))
        value = budgets.warn_percent(session, workspace_id=ws.id)
    console.print(f"Warn at {value.normalize():f} % of the plan.", highlight=False)


@budget_app.command("check")
def check_command(workspace: str = WorkspaceOption) -> None:
    """Record (audit) and announce warnings newly reached; prints them."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        alerts = budgets.check_budget_alerts(session, workspace_id=ws.id, actor=cli_actor())
        for a in alerts:
            owner = f"campaign #{a.campaign_id}" if a.campaign_id else f"programme #{a.programme_id}"
            console.print(f"{owner}: {a.line.channel} {a.line.month:%Y-%m} is {a.line.level} "
                          f"({a.line.actual:,.2f} of {a.line.planned:,.2f})", highlight=False)
    if not alerts:
        console.print("No new warnings.")
