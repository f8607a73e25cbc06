"""The `kempen` command."""

from __future__ import annotations

import sys

import click
import typer
from sqlalchemy.exc import OperationalError

from kempen.cli import sending  # noqa: F401  (adds launch/pause/resume/cancel/status to campaign_app)
from kempen.cli.accounts import apikeys_app, users_app
from kempen.cli.attribution import attribution_command
from kempen.cli.blocks import blocks_app
from kempen.cli.brand import brand_app
from kempen.cli.calendar import budget_app, calendar_command
from kempen.cli.campaigns import campaign_app
from kempen.cli.common import err_console
from kempen.cli.contacts import contacts_app
from kempen.cli.demo import demo_command
from kempen.cli.holdout import holdout_app
from kempen.cli.imports import import_app
from kempen.cli.planning import objective_app, programme_app
from kempen.cli.reports import report_app, spend_app
from kempen.cli.segments import segment_app
from kempen.cli.server import db_app, init_command, serve_command
from kempen.cli.stats import stats_app
from kempen.cli.teamwork import audit_app, comment_app, notifications_command, task_app
from kempen.cli.tracking import bounces_app, topics_app
from kempen.cli.worker import worker_command
from kempen.kit.errors import KempenError
from kempen.planning.budgets import on_budget_alert
from kempen.teamwork.budget_alerts import notify_budget_alert

app = typer.Typer(help="Kempen: campaign management for CRM and marketing teams.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.command("serve")(serve_command)
app.command("worker")(worker_command)
app.command("init")(init_command)
app.command("demo")(demo_command)
app.command("calendar")(calendar_command)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(contacts_app, name="contacts")
app.add_typer(import_app, name="import")
app.add_typer(segment_app, name="segment")
app.add_typer(campaign_app, name="campaign")
app.command("attribution")(attribution_command)
app.add_typer(report_app, name="report")
app.add_typer(spend_app, name="spend")
app.add_typer(bounces_app, name="bounces")
app.add_typer(topics_app, name="topics")
app.add_typer(stats_app, name="stats")
app.add_typer(holdout_app, name="holdout")
app.add_typer(objective_app, name="objective")
app.add_typer(programme_app, name="programme")
app.add_typer(budget_app, name="budget")
app.add_typer(task_app, name="task")
app.add_typer(comment_app, name="comment")
app.command("notifications")(notifications_command)
app.add_typer(audit_app, name="audit")
app.add_typer(brand_app, name="brand")
app.add_typer(blocks_app, name="blocks")
on_budget_alert(notify_budget_alert)  # budget warnings become notifications, as in the app


def main() -> None:
    """Run the CLI; expected failures print one readable line and exit non-zero."""
    try:
        result = app(standalone_mode=False)
    except KempenError as exc:
        err_console.print(f"[red]error:[/] {exc.detail}", highlight=False)
        sys.exit(1)
    except OperationalError as exc:
        err_console.print(f"[red]error:[/] database unavailable: {str(exc.orig).strip().splitlines()[0]}")
        sys.exit(1)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)
