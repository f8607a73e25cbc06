"""`kempen contacts …`."""

from __future__ import annotations

import typer
from rich.table import Table

from kempen.cli.common import WorkspaceOption, console, resolve_workspace, session_scope
from kempen.contacts import service

contacts_app = typer.Typer(help="Look at contacts.", no_args_is_help=True)


@contacts_app.command("show")
def show(reference: str = typer.Argument(..., help="Contact id, email, external id or phone"),
         workspace: str | None = WorkspaceOption) -> None:
    """Show one contact with its tags, lists and consents."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        contact = service.find_contact_by_reference(session, workspace_id=ws.id, reference=reference)
        detail = service.contact_detail(session, workspace_id=ws.id, contact_id=contact.id)
    table = Table(show_header=False, box=None)
    for name, value in detail.model_dump(exclude={"consents"}).items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        table.add_row(f"[bold]{name}[/]", "" if value in (None, {}, "") else str(value))
    for consent in detail.consents:
        table.add_row(f"[bold]consent.{consent.channel.value}[/]",
                      f"{consent.status.value} ({consent.source}, {consent.recorded_at:%Y-%m-%d})")
    console.print(table)
