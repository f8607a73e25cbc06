"""`kempen users …` and `kempen apikeys …`."""

from __future__ import annotations

import secrets

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.cli.common import WorkspaceOption, cli_actor, console, resolve_workspace, session_scope
from kempen.kit.errors import InvalidInput
from kempen.models import Role, Workspace

users_app = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)
apikeys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)


@users_app.command("create")
def create_user(
    email: str = typer.Argument(..., help="Login email"),
    role: Role = typer.Option(Role.MARKETER, help="Role in the workspace"),
    workspace: str | None = WorkspaceOption,
    name: str = typer.Option("", help="Display name"),
    password: str | None = typer.Option(None, envvar="KEMPEN_NEW_PASSWORD",
                                        help="Password (default: generate one and print it)"),
) -> None:
    """Create a user (or add an existing one to a workspace) with a role."""
    with session_scope() as session:
        ws = _workspace_or_create(session, workspace)
        user = accounts.get_user_by_email(session, email)
        generated = None
        if user is None:
            generated = password or secrets.token_urlsafe(12)
            user = accounts.create_user(session, email=email, password=generated, name=name)
        accounts.add_member(session, workspace_id=ws.id, user_id=user.id, role=role, actor=cli_actor())
    console.print(f"[green]✓[/] {email} is {role.value} in workspace [bold]{ws.slug}[/]")
    if generated and not password:
        console.print(f"  password: [bold]{generated}[/]  (shown once)")


def _workspace_or_create(session: Session, slug: str | None) -> Workspace:
    if slug and session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is None:
        return accounts.create_workspace(session, name=slug, slug=slug)
    return resolve_workspace(session, slug)


@apikeys_app.command("create")
def create_api_key(
    name: str = typer.Argument(..., help="What the key is for, e.g. 'shop sync'"),
    role: Role = typer.Option(Role.MARKETER, help="Role the key acts with"),
    workspace: str | None = WorkspaceOption,
) -> None:
    """Create an API key; the key is printed once and only its hash is kept."""
    if role == Role.OWNER:
        raise InvalidInput("API keys cannot have the owner role; use admin.")
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        api_key, key = accounts.create_api_key(session, workspace_id=ws.id, name=name, role=role)
    console.print(f"[green]✓[/] key {api_key.id} ({role.value}) for workspace [bold]{ws.slug}[/]:")
    console.print(key, soft_wrap=True, highlight=False)


@apikeys_app.command("list")
def list_api_keys(workspace: str | None = WorkspaceOption) -> None:
    """List a workspace's keys (never the keys themselves)."""
    from rich.table import Table

    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        keys = accounts.list_api_keys(session, workspace_id=ws.id)
        table = Table("id", "name", "role", "prefix", "created", "revoked")
        for k in keys:
            table.add_row(str(k.id), k.name, k.role.value, k.display_prefix + "…",
                          k.created_at.strftime("%Y-%m-%d"), k.revoked_at.strftime("%Y-%m-%d") if k.revoked_at else "")
    console.print(table)
