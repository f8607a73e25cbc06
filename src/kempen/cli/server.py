"""`kempen serve`, `kempen init` and `kempen db …`."""

from __future__ import annotations

import secrets
from typing import Any

import typer
from sqlalchemy import func, select

from kempen.accounts import service as accounts
from kempen.cli.common import console, session_scope
from kempen.config import get_settings
from kempen.db import get_engine
from kempen.migrate import current_revision, upgrade_database
from kempen.models import Role, User

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)

DEMO_OWNER_EMAIL = "owner@kempen.local"


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply database migrations."""
    engine = get_engine()
    upgrade_database(engine, revision)
    console.print(f"[green]✓[/] database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's current revision."""
    console.print(current_revision(get_engine()) or "(empty database)")


def serve_command(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, help="Web worker processes"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    settings = get_settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        upgrade_database(get_engine())  # the embedded database keeps itself current
    console.print(f"Kempen on http://{host}:{port}  (API docs at /docs)")
    sink = _start_sink(f"http://{host}:{port}")
    bounce_mailbox = _start_bounce_mailbox()
    try:
        uvicorn.run("kempen.app:create_server_app", factory=True, host=host, port=port, workers=workers, reload=reload,
                    log_level="info")
    finally:
        if sink is not None:
            sink.stop()
        if bounce_mailbox is not None:
            bounce_mailbox.stop()


def _start_bounce_mailbox() -> Any:
    """With KEMPEN_BOUNCE_SMTP_PORT set, also receive bounce and complaint reports by SMTP."""
    settings = get_settings()
    if not settings.bounce_smtp_port:
        return None
    from kempen.tracking.inbound import start_bounce_mailbox

    try:
        mailbox = start_bounce_mailbox(host=settings.bounce_smtp_host, port=settings.bounce_smtp_port)
    except OSError as exc:
        console.print(f"[yellow]bounce mailbox not started on {settings.bounce_smtp_host}:"
                      f"{settings.bounce_smtp_port}: {exc.strerror or exc}[/]")
        return None
    console.print(f"Bounce mailbox (DSN/ARF reports) on {settings.bounce_smtp_host}:{mailbox.port}")
    return mailbox


def _start_sink(base: str) -> Any:
    """With no SMTP server configured, catch outgoing mail in the built-in sink (nothing leaves the machine)."""
    settings = get_settings()
    if settings.smtp_url:
        return None
    from kempen.mailsink.server import start_mail_sink

    try:
        sink = start_mail_sink(host=settings.mail_sink_host, port=settings.mail_sink_port)
    except OSError as exc:  # another Kempen on this machine holds the port: its sink catches our mail too
        console.print(f"[yellow]mail sink not started on {settings.mail_sink_host}:{settings.mail_sink_port}: "
                      f"{exc.strerror or exc}[/]")
        return None
    console.print(f"No KEMPEN_SMTP_URL: email goes to the built-in sink on {settings.mail_sink_host}:{sink.port}; "
                  f"read it at {base}/inbox")
    return sink


def init_command(
    demo_contacts: int = typer.Option(2000, help="Demo contacts to generate on first run (0 for none)"),
    seed: int = typer.Option(7, help="Seed for the demo data"),
) -> None:
    """Prepare a workspace on first run: migrations, an owner account and demo data. Safe to repeat."""
    engine = get_engine()
    upgrade_database(engine)
    with session_scope() as session:
        if session.scalar(select(func.count()).select_from(User)):
            console.print("Workspace already initialised; log in with the account created on first run.")
            return
        password = secrets.token_urlsafe(12)
        workspace = accounts.create_workspace(session, name="Demo shop", slug="demo")
        owner = accounts.create_user(session, email=DEMO_OWNER_EMAIL, password=password, name="Owner")
        accounts.add_member(session, workspace_id=workspace.id, user_id=owner.id, role=Role.OWNER)
        workspace_slug = workspace.slug
    team: list[tuple[str, str, str]] = []
    if demo_contacts:
        from kempen.cli.demo import run_demo

        run_demo(workspace_slug=workspace_slug, contacts=demo_contacts, seed=seed)
        from kempen.demo.campaign import launch_demo_campaign

        launched, planning = launch_demo_campaign(workspace_slug=workspace_slug)
        if launched is not None:
            console.print(f"[green]✓[/] demo campaign: {launched.deliveries} emails to send; "
                          "`kempen serve` delivers them to the built-in inbox (/inbox)")
        if planning is not None:
            console.print("[green]✓[/] demo planning: programme “Spring relaunch” with objectives, budgets, "
                          "tasks and a comment thread")
            team = [(login.role.value, login.email, login.password) for login in planning.logins]
    console.rule("[bold]Kempen is ready")
    console.print(f"  log in at http://127.0.0.1:8000/login as [bold]{DEMO_OWNER_EMAIL}[/]")
    console.print(f"  password: [bold]{password}[/]  (shown once; keep it)")
    for role, email, member_password in team:
        console.print(f"  or as the {role}: [bold]{email}[/], password [bold]{member_password}[/]")
    console.rule()
