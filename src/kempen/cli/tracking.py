"""`kempen bounces …` and `kempen topics …`: bounce reports and preference topics (issue 5; being built)."""

from __future__ import annotations

import typer

bounces_app = typer.Typer(help="Bounce and complaint reports (being built).", no_args_is_help=True)
