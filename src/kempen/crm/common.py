"""Helpers shared by the CRM services: keyset pages and contact id checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from kempen.kit.errors import InvalidInput
from kempen.kit.pagination import decode_cursor, encode_cursor
from kempen.kit.sql import chunked
from kempen.models import Contact

T = TypeVar("T")
MAX_PAGE = 500
MAX_ID = 2**63 - 1  # ids are 64-bit on both databases


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
    next_cursor = encode_cursor({"id": _id_of(rows[limit - 1])}) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _id_of(row: Any) -> int:
    return int(row.id)


def existing_contact_ids(session: Session, *, workspace_id: int, ids: Iterable[int]) -> set[int]:
    """Return those of `ids` that are contacts of this workspace (others' ids are simply absent)."""
    wanted = sorted(set(ids))
    found: set[int] = set()
    for chunk in chunked(wanted):
        stmt = select(Contact.id).where(Contact.workspace_id == workspace_id, Contact.id.in_(chunk))
        found.update(session.scalars(stmt))
    return found


def split_known(session: Session, *, workspace_id: int, ids: list[int]) -> tuple[list[int], list[int]]:
    """Split ids into (known contacts of this workspace, unknown ids), keeping input order, no repeats."""
    known = existing_contact_ids(session, workspace_id=workspace_id, ids=ids)
    unique_ids = list(dict.fromkeys(ids))
    return [i for i in unique_ids if i in known], [i for i in unique_ids if i not in known]
