"""`kempen task …`, `kempen comment …`, `kempen notifications` and `kempen audit …`.

The command line acts with the owner's rights, recorded as `cli:$USER`; `--as EMAIL` acts as that
member instead (their role, their name on comments and tasks, and they are not notified of their own doing).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
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
from kempen.kit.errors import InvalidInput
from kempen.models import Role
from kempen.models.teamwork import TaskStatus
from kempen.teamwork import audit_log, comments, notifications, tasks
from kempen.teamwork.actors import Acting
from kempen.teamwork.mentions import Member, workspace_members
from kempen.teamwork.schemas import TaskCreate, TaskUpdate

task_app = typer.Typer(help="Tasks on campaigns.", no_args_is_help=True)
comment_app = typer.Typer(help="Comments on campaigns, with @mentions.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log: who changed what, and when.", no_args_is_help=True)
AsOption = typer.Option(None, "--as", help="Act as this member (email); default: the CLI, with owner rights")
JsonOption = typer.Option(False, "--json", help="Print JSON")


def _member(session: Session, workspace_id: int, email: str) -> Member:
    wanted = email.strip().lower()
    for member in workspace_members(session, workspace_id=workspace_id):
        if member.email == wanted:
            return member
    raise InvalidInput(f"{email} is not a member of this workspace.")


def _acting(session: Session, workspace_id: int, as_email: str | None) -> Acting:
    if not as_email:
        return Acting(workspace_id=workspace_id, role=Role.OWNER, actor=cli_actor())
    member = _member(session, workspace_id, as_email)
    return Acting(workspace_id=workspace_id, role=member.role, actor=f"user:{member.user_id}", user_id=member.user_id)


def _day(value: str | None, what: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput(f"Give {what} as YYYY-MM-DD (got {value!r}).") from None


@task_app.command("add")
@exits_on_error
def add_task(campaign_id: int = typer.Argument(..., help="Campaign id"), title: str = typer.Argument(...),
             assignee: str | None = typer.Option(None, "--assignee", help="Email of a member"),
             due: str | None = typer.Option(None, "--due", help="YYYY-MM-DD"),
             description: str = typer.Option("", "--description"), as_email: str | None = AsOption,
             workspace: str | None = WorkspaceOption) -> None:
    """Add a task to a campaign; the assignee is notified."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        assignee_id = _member(session, workspace_id, assignee).user_id if assignee else None
        task = tasks.create_task(session, who=_acting(session, workspace_id, as_email), campaign_id=campaign_id,
                                 data=TaskCreate(title=title, description=description, assignee_id=assignee_id,
                                                 due_on=_day(due, "the due date")))
        console.print(f"[green]✓[/] task #{task.id} {task.title!r} on campaign #{campaign_id}", highlight=False)


@task_app.command("list")
@exits_on_error
def list_tasks(campaign: int | None = typer.Option(None, "--campaign", help="Only this campaign"),
               assignee: str | None = typer.Option(None, "--assignee", help="Only this member's (email)"),
               overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past their due date"),
               show_done: bool = typer.Option(False, "--all", help="Include done tasks"),
               as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """List open tasks (by due date)."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        assignee_id = _member(session, workspace_id, assignee).user_id if assignee else None
        found = tasks.list_tasks(session, workspace_id=workspace_id, campaign_id=campaign, assignee_id=assignee_id,
                                 open_only=not show_done, overdue=overdue)
        emails = {m.user_id: m.email for m in workspace_members(session, workspace_id=workspace_id)}
        rows: list[dict[str, Any]] = [{"id": t.id, "campaign_id": t.campaign_id, "title": t.title, "status": t.status.value,
                 "assignee": emails.get(t.assignee_id) if t.assignee_id else None,
                 "due_on": t.due_on.isoformat() if t.due_on else None, "overdue": tasks.is_overdue(t)} for t in found]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "campaign", "title", "assignee", "due", "status")
    for row in rows:
        due = (row["due_on"] or "—") + (" (overdue)" if row["overdue"] else "")
        table.add_row(str(row["id"]), f"#{row['campaign_id']}", str(row["title"]), str(row["assignee"] or "—"), due,
                      str(row["status"]))
    console.print(table if rows else "no tasks")


@task_app.command("done")
@exits_on_error
def finish_task(task_id: int = typer.Argument(...), as_email: str | None = AsOption,
                workspace: str | None = WorkspaceOption) -> None:
    """Mark a task done."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        task = tasks.update_task(session, who=_acting(session, workspace_id, as_email), task_id=task_id,
                                 data=TaskUpdate(status=TaskStatus.DONE))
        console.print(f"[green]✓[/] task #{task.id} {task.title!r} is done", highlight=False)


@comment_app.command("add")
@exits_on_error
def add_comment(campaign_id: int = typer.Argument(...), text: str = typer.Argument(..., help="The comment"),
                as_email: str | None = AsOption, workspace: str | None = WorkspaceOption) -> None:
    """Comment on a campaign; @mentioned members are notified."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        comment = comments.add_comment(session, who=_acting(session, workspace_id, as_email),
                                       campaign_id=campaign_id, body=text)
        mentioned = len(comment.mentioned_user_ids)
        console.print(f"[green]✓[/] comment #{comment.id} on campaign #{campaign_id}"
                      + (f", {mentioned} member{'s' if mentioned != 1 else ''} mentioned" if mentioned else ""),
                      highlight=False)


@comment_app.command("list")
@exits_on_error
def list_comments(campaign_id: int = typer.Argument(...), as_json: bool = JsonOption,
                  workspace: str | None = WorkspaceOption) -> None:
    """The campaign's thread, oldest first."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        emails = {m.user_id: m.email for m in workspace_members(session, workspace_id=workspace_id)}
        rows: list[dict[str, Any]] = [{"id": c.id, "author": emails.get(c.author_id, c.author) if c.author_id else c.author,
                 "kind": c.kind.value, "body": c.body, "created_at": c.created_at.isoformat()}
                for c in comments.list_comments(session, workspace_id=workspace_id, campaign_id=campaign_id)]
    if as_json:
        console.print_json(json.dumps(rows))
        return
    for row in rows:
        kind = "" if row["kind"] == "comment" else f" [{str(row['kind']).replace('_', ' ')}]"
        console.print(f"#{row['id']} {row['author']} {row['created_at'][:16]}{kind}", highlight=False)
        if row["body"]:
            console.print(f"  {row['body']}", highlight=False, markup=False)
    if not rows:
        console.print("no comments")


@exits_on_error
def notifications_command(user: str = typer.Option(..., "--user", help="The member's email"),
                          unread: bool = typer.Option(False, "--unread", help="Only unread ones"),
                          mark_read: bool = typer.Option(False, "--mark-read", help="Then mark them all read"),
                          workspace: str | None = WorkspaceOption) -> None:
    """Show a member's notifications, newest first."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        member = _member(session, workspace_id, user)
        items, _ = notifications.list_notifications(session, workspace_id=workspace_id, user_id=member.user_id,
                                                    unread_only=unread, limit=100)
        for note in items:
            mark = " " if note.read_at else "•"
            console.print(f"{mark} {note.created_at:%Y-%m-%d %H:%M} {note.title}", highlight=False, markup=False)
        if not items:
            console.print("no notifications")
        if mark_read:
            count = notifications.mark_all_read(session, workspace_id=workspace_id, user_id=member.user_id)
            console.print(f"[green]✓[/] {count} marked read")


def _filter(entity_type: str, actor: str, action: str, since: str | None, until: str | None) -> audit_log.AuditFilter:
    return audit_log.AuditFilter(entity_type=entity_type, actor=actor, action=action,
                                 since=_day(since, "--since"), until=_day(until, "--until"))


EntityOption = typer.Option("", "--entity-type", help="e.g. campaign, segment, api_key, task")
ActorOption = typer.Option("", "--actor", help="user:ID, api_key:ID or a member's email")
ActionOption = typer.Option("", "--action", help="Exact, or a prefix ending in '.' (segment.)")
SinceOption = typer.Option(None, "--since", help="From this day (YYYY-MM-DD, UTC)")
UntilOption = typer.Option(None, "--until", help="To this day, inclusive")


@audit_app.command("list")
@exits_on_error
def list_audit(entity_type: str = EntityOption, actor: str = ActorOption, action: str = ActionOption,
               since: str | None = SinceOption, until: str | None = UntilOption,
               limit: int = typer.Option(50, "--limit", min=1, max=500), as_json: bool = JsonOption,
               workspace: str | None = WorkspaceOption) -> None:
    """The newest audit entries matching the filters."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        entries, _ = audit_log.list_entries(session, workspace_id=workspace_id,
                                            where=_filter(entity_type, actor, action, since, until), limit=limit)
        labels = audit_log.actor_labels(session, workspace_id=workspace_id, entries=entries)
        rows: list[dict[str, Any]] = [{"id": e.id, "created_at": e.created_at.isoformat(), "actor": labels.get(e.actor, e.actor),
                 "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id, "details": e.details}
                for e in entries]
    if as_json:
        console.print_json(json.dumps(rows, default=str))
        return
    table = Table("when (UTC)", "who", "what", "entity")
    for row in rows:
        table.add_row(str(row["created_at"])[:19], str(row["actor"]), str(row["action"]),
                      f"{row['entity_type']} {row['entity_id']}")
    console.print(table if rows else "no entries")


@audit_app.command("export")
@exits_on_error
def export_audit(out: Path = typer.Option(..., "--out", help="CSV file to write"), entity_type: str = EntityOption,
                 actor: str = ActorOption, action: str = ActionOption, since: str | None = SinceOption,
                 until: str | None = UntilOption, workspace: str | None = WorkspaceOption) -> None:
    """Write the matching audit entries as CSV (newest first)."""
    with session_scope() as session:
        workspace_id = resolve_workspace(session, workspace).id
        text = "".join(audit_log.export_csv(session, workspace_id=workspace_id,
                                            where=_filter(entity_type, actor, action, since, until)))
    out.write_text(text, encoding="utf-8")
    console.print(f"[green]✓[/] {text.count(chr(10)) - 1} entries written to {out}", highlight=False, soft_wrap=True)

