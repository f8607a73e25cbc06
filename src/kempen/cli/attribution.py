"""`kempen attribution FILE.csv`: attribution over conversion paths imported from other tools (issue 5; being built)."""

from __future__ import annotations

import typer

attribution_app = typer.Typer(help="Attribute conversions to channels (being built).", no_args_is_help=True)
