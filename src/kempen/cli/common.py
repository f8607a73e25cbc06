"""What every CLI command shares: consoles, the unit of work and the workspace to act in."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.db import unit_of_work
from kempen.kit.errors import InvalidInput, KempenError
from kempen.models import Workspace

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def exits_on_error(command: F) -> F:
    """A service or validation error becomes one readable line on stderr and exit code 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KempenError as exc:
            err_console.print(f"[red]error:[/] {exc.detail}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


WorkspaceOption = typer.Option(
    None, "--workspace", "-w", envvar="KEMPEN_WORKSPACE",
    help="Workspace slug (default: the only workspace, if there is just one)",
)


@contextmanager
def session_scope() -> Iterator[Session]:
    """One command, one transaction."""
    with unit_of_work() as session:
        yield session


def resolve_workspace(session: Session, slug: str | None) -> Workspace:
    """Return the workspace named by slug, or the only one when no slug is given."""
    if slug:
        workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
        if workspace is None:
            raise InvalidInput(f"No workspace with slug {slug!r}.")
        return workspace
    workspaces = list(session.scalars(select(Workspace).order_by(Workspace.id).limit(2)))
    if len(workspaces) == 1:
        return workspaces[0]
    if not workspaces:
        raise InvalidInput("There is no workspace yet; run `kempen init` or `kempen users create --workspace NAME`.")
    raise InvalidInput("There are several workspaces; choose one with --workspace SLUG.")


def cli_actor() -> str:
    return f"cli:{os.environ.get('USER', 'unknown')}"
