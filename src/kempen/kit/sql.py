"""Small SQL helpers that work on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")

# SQLite allows 32,766 bound parameters per statement; stay well below for IN lists.
IN_CHUNK = 5_000


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def insert_ignoring_conflicts(session: Session, table: Any, rows: list[dict[str, Any]]) -> int:
    """Insert rows, silently skipping those that violate a unique constraint; return how many were inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        result = session.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        result = session.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - Kempen supports the two dialects above
        raise NotImplementedError(dialect)
    return int(result.rowcount)  # type: ignore[attr-defined]
