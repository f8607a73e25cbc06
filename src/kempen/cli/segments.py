"""`kempen segment …` (placeholder until the segment service lands)."""

from __future__ import annotations

import typer

segment_app = typer.Typer(help="Count, export and manage segments.", no_args_is_help=True)
