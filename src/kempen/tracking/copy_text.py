"""The text form of a `tracking_events` row in COPY (PostgreSQL's text format), and back.

Journal segments and spool replays hold these lines; the writers send them to COPY as they are.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from kempen.models import TouchKind
from kempen.models.contacts import Channel

Row = dict[str, Any]
COLUMNS = ("workspace_id", "kind", "occurred_at", "campaign_id", "message_id", "variant_id", "delivery_id",
           "contact_id", "channel", "url", "link_index", "machine", "machine_reason", "user_agent", "ip")
COPY_COMMAND = f"COPY tracking_events ({', '.join(COLUMNS)}) FROM STDIN"  # constants only, nothing from outside


# COPY's text format: backslash escapes for its separators; NUL, which PostgreSQL text cannot hold, dropped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r\x00]")
_NULL = "\\N"


def _text(value: str | None) -> str:
    if value is None:
        return _NULL
    # The search first: translate() with a table costs several times a search that finds nothing.
    return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def _opt(value: object) -> object:
    return _NULL if value is None else value


def copy_line(r: Row) -> str:
    """One row in COPY text format, columns in `COLUMNS` order (enums format as their values)."""
    # Written out per column: a generic per-field function cost ~9 us a row, in a thread that holds the GIL.
    return (f'{r["workspace_id"]}\t{r["kind"]}\t{r["occurred_at"].isoformat()}\t{_opt(r["campaign_id"])}\t'
            f'{_opt(r["message_id"])}\t{_opt(r["variant_id"])}\t{_opt(r["delivery_id"])}\t'
            f'{_opt(r["contact_id"])}\t{_opt(r["channel"])}\t{_text(r["url"])}\t{_opt(r["link_index"])}\t'
            f'{"t" if r["machine"] else "f"}\t{_text(r["machine_reason"])}\t{_text(r["user_agent"])}\t'
            f'{_text(r["ip"])}\n')


_UNESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_INTEGER_COLUMNS = ("workspace_id", "campaign_id", "message_id", "variant_id", "delivery_id", "contact_id",
                    "link_index")


def row_from_copy_line(line: str) -> Row | None:
    """A `copy_line` read back (journal replay); None for a line a crash cut short."""
    fields = line.split("\t")
    if len(fields) != len(COLUMNS):
        return None
    row: Row = {name: None if value == _NULL else _UNESCAPE.sub(lambda m: _UNESCAPED.get(m[1], m[1]), value)
                for name, value in zip(COLUMNS, fields, strict=True)}
    try:
        for name in _INTEGER_COLUMNS:
            if row[name] is not None:
                row[name] = int(row[name])
        row["kind"] = TouchKind(row["kind"])
        row["channel"] = None if row["channel"] is None else Channel(row["channel"])
        row["occurred_at"] = datetime.fromisoformat(row["occurred_at"])
        row["machine"] = row["machine"] == "t"
    except (ValueError, TypeError):
        return None
    return row
