"""`kempen stats …`: A/B statistics calculators (issue 6; being built)."""

from __future__ import annotations

import typer

stats_app = typer.Typer(help="A/B test statistics (being built).", no_args_is_help=True)
