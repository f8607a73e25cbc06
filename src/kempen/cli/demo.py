"""`kempen demo` (placeholder until the generator lands)."""

from __future__ import annotations

import typer

from kempen.cli.common import WorkspaceOption


def run_demo(*, workspace_slug: str | None, contacts: int, seed: int) -> None:
    """Generate demo data into a workspace."""


def demo_command(
    contacts: int = typer.Option(10_000, "--contacts", help="How many contacts"),
    seed: int = typer.Option(1, "--seed", help="Random seed; the same seed gives the same data"),
    workspace: str | None = WorkspaceOption,
) -> None:
    """Generate a deterministic, realistic demo dataset."""
    run_demo(workspace_slug=workspace, contacts=contacts, seed=seed)
