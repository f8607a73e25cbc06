"""`kempen campaign …`: create, list, show and preview campaigns."""

from __future__ import annotations

import typer

campaign_app = typer.Typer(help="Campaigns: create, preview, launch and follow them.", no_args_is_help=True)
