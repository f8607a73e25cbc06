"""`kempen import …` (placeholder until CSV import lands)."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="Import contacts and orders from CSV files.", no_args_is_help=True)
