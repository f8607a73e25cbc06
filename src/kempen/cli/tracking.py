"""`kempen bounces …` and `kempen topics …`: bounce reports and preference topics."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from kempen.cli.common import WorkspaceOption, cli_actor, console, resolve_workspace, session_scope
from kempen.config import get_settings
from kempen.kit.errors import InvalidInput
from kempen.tracking import bounces, topics
from kempen.tracking.dsn import MAX_REPORT_BYTES

bounces_app = typer.Typer(help="Bounce and complaint reports (DSN and ARF).", no_args_is_help=True)
topics_app = typer.Typer(help="Preference topics contacts can opt out of.", no_args_is_help=True)


@bounces_app.command("process")
def process_files(
    files: list[Path] = typer.Argument(..., help="Raw messages (.eml), e.g. a mailbox export"),
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Apply to this workspace only"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file"),
) -> None:
    """Apply DSN and ARF reports from files; say what each one matched."""
    for path in files:
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file.")
        if path.stat().st_size > MAX_REPORT_BYTES:
            raise InvalidInput(f"{path}: larger than {MAX_REPORT_BYTES // 2**20} MiB, not a bounce report.")
    table = Table("file", "kind", "address", "type", "matched", "suppressed")
    for path in files:
        with session_scope() as session:
            workspace_id = resolve_workspace(session, workspace).id if workspace else None
            outcome = bounces.process_report(session, path.read_bytes(), workspace_id=workspace_id)
        if as_json:
            console.print_json(json.dumps({"file": str(path)} | outcome.as_dict()))
            continue
        if not outcome.recipients:
            table.add_row(str(path), outcome.kind, "", "", "", "")
        for line in outcome.recipients:
            matched = "again" if line.duplicate else ("yes" if line.matched else "no")
            table.add_row(str(path), outcome.kind, line.address, line.type, matched, "yes" if line.suppressed else "")
    if not as_json:
        console.print(table)


@bounces_app.command("serve")
def serve_mailbox(
    host: str | None = typer.Option(None, help="Address to listen on (default KEMPEN_BOUNCE_SMTP_HOST)"),
    port: int | None = typer.Option(None, help="Port (default KEMPEN_BOUNCE_SMTP_PORT, else 2525)"),
) -> None:
    """Receive DSN and ARF reports by SMTP until interrupted."""
    from kempen.tracking.inbound import start_bounce_mailbox

    settings = get_settings()
    mailbox = start_bounce_mailbox(host=host or settings.bounce_smtp_host,
                                   port=port if port is not None else settings.bounce_smtp_port or 2525)
    console.print(f"Bounce mailbox on {host or settings.bounce_smtp_host}:{mailbox.port} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        mailbox.stop()
        console.print(f"{mailbox.handler.received} report(s) received, {mailbox.handler.unmatched} unmatched")


@topics_app.command("list")
def list_topics(workspace: str | None = WorkspaceOption) -> None:
    """List the workspace's topics and how many contacts opted out of each."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        rows = topics.list_topics(session, workspace_id=ws.id)
    table = Table("id", "key", "name", "opted out", "description")
    for row in rows:
        table.add_row(str(row.id), row.key, row.name, str(row.opted_out), row.description)
    console.print(table)


@topics_app.command("create")
def create_topic(
    key: str = typer.Argument(..., help="Short key, e.g. newsletter"),
    name: str = typer.Option(..., "--name", help="What contacts see"),
    description: str = typer.Option("", "--description"),
    workspace: str | None = WorkspaceOption,
) -> None:
    """Create a topic (contacts are subscribed until they opt out)."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        topic = topics.create_topic(session, workspace_id=ws.id, actor=cli_actor(),
                                    data=topics.TopicCreate(key=key, name=name, description=description))
        console.print(f"Topic {topic.id} {topic.key!r} created.")


@topics_app.command("update")
def update_topic(
    topic_id: int = typer.Argument(...),
    name: str | None = typer.Option(None, "--name"),
    description: str | None = typer.Option(None, "--description"),
    workspace: str | None = WorkspaceOption,
) -> None:
    """Rename a topic or change its description."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        topics.update_topic(session, workspace_id=ws.id, actor=cli_actor(), topic_id=topic_id,
                            data=topics.TopicUpdate(name=name, description=description))
        console.print(f"Topic {topic_id} updated.")


@topics_app.command("delete")
def delete_topic(topic_id: int = typer.Argument(...), workspace: str | None = WorkspaceOption) -> None:
    """Delete a topic (campaigns naming it keep sending, to everyone)."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        topics.delete_topic(session, workspace_id=ws.id, actor=cli_actor(), topic_id=topic_id)
        console.print(f"Topic {topic_id} deleted.")
