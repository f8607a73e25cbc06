"""Small SQL helpers that work on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

T = TypeVar("T")

# SQLite allows 32,766 bound parameters per statement; stay well below for IN lists.
IN_CHUNK = 5_000

_Row = TypeVar("_Row")


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


def get_or_create_settings_row(session: Session, model: type[_Row], workspace_id: int) -> _Row:
    """A workspace's one-row settings of `model` (keyed by `workspace_id`), created with its defaults on first use."""
    stmt = select(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
    found = session.scalar(stmt)
    if found is not None:
        return found
    # Two first uses at once must not collide: insert-if-absent (Core applies the columns' defaults),
    # then read whichever row won.
    insert_ignoring_conflicts(session, model.__table__, [{"workspace_id": workspace_id}])  # type: ignore[attr-defined]
    created = session.scalar(stmt)
    assert created is not None
    return created


def write_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert plain rows (tuples in `columns` order) fast, on the session's connection and transaction.

    COPY on PostgreSQL, one DB-API executemany on SQLite: for bulk loads (launches, the demo data set)
    where the ORM or SQLAlchemy's executemany would spend seconds per hundred thousand rows in Python.
    The driver gets the values as they are (no SQLAlchemy type processing): give them in the form the
    database stores, e.g. no datetimes for SQLite unless already in its text form.
    """
    driver: Any = session.connection().connection.driver_connection
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        # write_row (psycopg's C adapters) measured faster than joining a pre-formatted text payload.
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
        return
    compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
    cursor = driver.cursor()
    try:
        cursor.executemany(compiled.string, rows)
    finally:
        cursor.close()
