"""`kempen campaign launch|pause|resume|cancel|status` and `kempen worker`."""

from __future__ import annotations

from kempen.cli.campaigns import campaign_app

__all__ = ["campaign_app"]
