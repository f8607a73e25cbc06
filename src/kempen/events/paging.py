"""Keyset pagination over (timestamp, id), newest first, shared by the event and order timelines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from kempen.kit.clock import as_utc
from kempen.kit.errors import InvalidInput
from kempen.kit.pagination import decode_cursor, encode_cursor

T = TypeVar("T")
_BAD_CURSOR = "The cursor is not valid; pass the next_cursor of a previous page."


def after_cursor(stmt: Select[Any], at: InstrumentedAttribute[datetime], row_id: InstrumentedAttribute[int],
                 cursor: str | None) -> Select[Any]:
    """Restrict a newest-first query to the rows after the cursor's position."""
    if not cursor:
        return stmt
    position = decode_cursor(cursor)
    try:
        last_at = as_utc(datetime.fromisoformat(position["at"]))
        last_id = position["id"]
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(_BAD_CURSOR) from None
    if not isinstance(last_id, int):
        raise InvalidInput(_BAD_CURSOR)
    return stmt.where(or_(at < last_at, and_(at == last_at, row_id < last_id)))


def page(rows: Sequence[T], limit: int, key: Callable[[T], tuple[datetime, int]]) -> tuple[Sequence[T], str | None]:
    """Cut a page of `limit + 1` fetched rows to `limit` and make the cursor for the next one."""
    if len(rows) <= limit:
        return rows, None
    at, row_id = key(rows[limit - 1])
    return rows[:limit], encode_cursor({"at": at.isoformat(), "id": row_id})
