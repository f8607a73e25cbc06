"""The Jinja2 environment of the web UI and the filters its templates use."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from kempen import __version__

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """Show a timestamp in UTC, as every timestamp is stored."""
    return f"{value.strftime(fmt)} UTC" if value is not None else "—"


def format_date(value: datetime | None) -> str:
    return value.strftime("%d %b %Y") if value is not None else "—"


def format_money(amount: Decimal | float | int | None, currency: str = "") -> str:
    return "—" if amount is None else f"{currency} {amount:,.2f}".strip()


def format_value(value: Any) -> str:
    """Show a custom field or event property value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


ACRONYMS = {"mql": "MQL", "sql": "SQL", "sms": "SMS"}


def humanise(value: str | None) -> str:
    """Turn an enum value such as `direct_mail` into `Direct mail` (and `mql` into `MQL`)."""
    text = value or ""
    return ACRONYMS.get(text) or text.replace("_", " ").capitalize()


templates.env.filters.update(datetime=format_datetime, date=format_date, money=format_money,
                             value=format_value, humanise=humanise)
templates.env.globals["asset_version"] = __version__


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """Render a template as an HTML response."""
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, headers=headers)
