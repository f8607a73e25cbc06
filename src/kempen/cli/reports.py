"""`kempen report …` and `kempen spend …`: campaign figures and costs (issue 5; being built)."""

from __future__ import annotations

import typer

report_app = typer.Typer(help="Campaign performance reports (being built).", no_args_is_help=True)
