"""ImportRun rows: created before the first batch, advanced with each batch, finished once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, defer

from kempen.audit import service as audit
from kempen.kit.clock import utcnow
from kempen.kit.errors import NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import ImportRun, ImportStatus

SessionFactory = Callable[[], Session]
MAX_PAGE = 200


@contextmanager
def transaction(session_factory: SessionFactory, *, commit: bool = True) -> Iterator[Session]:
    """One batch, one transaction: commit (or, for a dry run, roll back) when the block succeeds."""
    session = session_factory()
    try:
        yield session
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@dataclass
class Totals:
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    batches: int = 0


def create_run(session_factory: SessionFactory, *, workspace_id: int, kind: str, filename: str,
               info: dict[str, Any]) -> int:
    """Store a running ImportRun in its own transaction, so it is visible before the first batch lands."""
    with transaction(session_factory) as session:
        run = ImportRun(workspace_id=workspace_id, kind=kind, filename=filename[:300],
                        status=ImportStatus.RUNNING, column_mapping=info)
        session.add(run)
        session.flush()
        return run.id


def advance(session: Session, *, workspace_id: int, run_id: int, totals: Totals, rejects_chunk: str) -> None:
    """Record a batch's progress in the batch's own transaction."""
    values: dict[str, Any] = {"total_rows": totals.rows, "created_rows": totals.created,
                              "updated_rows": totals.updated, "rejected_rows": totals.rejected}
    if rejects_chunk:
        # Append in SQL rather than rewriting the growing text from Python with every batch.
        values["rejects_csv"] = ImportRun.rejects_csv + rejects_chunk
    session.execute(update(ImportRun).where(ImportRun.workspace_id == workspace_id, ImportRun.id == run_id)
                    .values(**values))


def finish(session_factory: SessionFactory, *, workspace_id: int, run_id: int, actor: str,
           error: str | None = None) -> ImportRun:
    """Mark a run completed (or failed, with the error) and return it, detached and fully loaded."""
    with transaction(session_factory) as session:
        run = get_run_or_raise(session, workspace_id=workspace_id, run_id=run_id)
        run.status = ImportStatus.FAILED if error else ImportStatus.COMPLETED
        run.error = error
        run.finished_at = utcnow()
        audit.record(session, workspace_id=workspace_id, actor=actor,
                     action="import.failed" if error else "import.completed", entity_type="import_run",
                     entity_id=run_id, details={"kind": run.kind, "filename": run.filename,
                                                "created": run.created_rows, "updated": run.updated_rows,
                                                "rejected": run.rejected_rows, "rows": run.total_rows})
        session.flush()
    with transaction(session_factory) as session:
        run = get_run_or_raise(session, workspace_id=workspace_id, run_id=run_id)
        session.expunge(run)
    return run


# The tables an import grows, whose planner statistics go stale while it runs (constant statements).
_ANALYZE = {"contacts": ("ANALYZE contacts",), "orders": ("ANALYZE orders", "ANALYZE order_items")}


def refresh_statistics(session_factory: SessionFactory, kind: str) -> None:
    """Re-analyse the tables an import is filling, on PostgreSQL.

    A table that was empty when the import began is planned as empty until autovacuum analyses it
    (once a minute at best, never when it is off): the identity lookups of every batch then scan
    the whole workspace instead of using the unique indexes, and an import slows quadratically.
    """
    with transaction(session_factory) as session:
        if session.get_bind().dialect.name != "postgresql":
            return  # SQLite plans these lookups with the indexes without statistics
        for statement in _ANALYZE[kind]:
            session.execute(text(statement))


def get_run_or_raise(session: Session, *, workspace_id: int, run_id: int) -> ImportRun:
    run = session.scalar(select(ImportRun).where(ImportRun.workspace_id == workspace_id, ImportRun.id == run_id))
    if run is None:
        raise NotFound(f"No import {run_id} in this workspace.")
    return run


def list_runs(session: Session, *, workspace_id: int, cursor: str | None = None,
              limit: int = 50) -> tuple[list[ImportRun], str | None]:
    """Return one page of runs, newest first, without their rejects text."""
    limit = min(limit, MAX_PAGE)
    stmt = (select(ImportRun).options(defer(ImportRun.rejects_csv))
            .where(ImportRun.workspace_id == workspace_id))
    return keyset_page(session, stmt, ImportRun.id, cursor=cursor, limit=limit)
