"""Writing many plain rows fast: COPY on PostgreSQL, one executemany on SQLite, in the caller's transaction.

Launch writes one delivery per recipient and message (a million for a large campaign); going through
the ORM, or even SQLAlchemy's executemany, would spend seconds per hundred thousand rows on Python.
Values must be plain ints and strings (no datetimes: their storage form differs per dialect).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session


def write_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert rows (tuples in `columns` order) into `table` on the session's connection; return how many."""
    if not rows:
        return 0
    driver: Any = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        compiled = table.insert().compile(dialect=session.get_bind().dialect, column_keys=list(columns))
        cursor = driver.cursor()
        try:
            cursor.executemany(compiled.string, rows)
        finally:
            cursor.close()
    return len(rows)
