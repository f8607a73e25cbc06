"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from kempen.kit.errors import InvalidInput
from kempen.kit.ids import MAX_ID

T = TypeVar("T")


def encode_cursor(values: dict[str, Any]) -> str:
    """Encode the sort key of the last row returned as an opaque cursor."""
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor`, rejecting anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not valid; pass the next_cursor of a previous page.") from exc
    if not isinstance(value, dict):
        raise InvalidInput("The cursor is not valid; pass the next_cursor of a previous page.")
    return value


MAX_PAGE = 500


def keyset_page(
    session: Session, stmt: Select[T], id_column: InstrumentedAttribute[int], *,
    cursor: str | None, limit: int,
) -> tuple[list[T], str | None]:
    """Return one page of `stmt` ordered by descending id, and the cursor of the next page."""
    limit = max(1, min(limit, MAX_PAGE))
    if cursor:
        after = decode_cursor(cursor).get("id")
        if not isinstance(after, int) or not 0 < after <= MAX_ID:
            raise InvalidInput("The cursor is not valid; pass the next_cursor of a previous page.")
        stmt = stmt.where(id_column < after)
    rows = list(session.scalars(stmt.order_by(id_column.desc()).limit(limit + 1)))
    next_cursor = encode_cursor({"id": int(rows[limit - 1].id)}) if len(rows) > limit else None  # type: ignore[attr-defined]
    return rows[:limit], next_cursor
