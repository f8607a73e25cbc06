"""CSV imports of contacts and orders, streamed in batches that each commit on their own.

Why the import, unlike other services, owns its transactions: a file of a million rows cannot be
one transaction (it would hold SQLite's write lock for minutes, and a failure at row 900,000 would
throw away everything), and it cannot be one transaction per row (far too slow). So each batch is
the unit of work: its rows and the ImportRun counters commit together, or not at all. A crash
leaves only whole batches, and the ImportRun says how far the import got. That is why these
functions take a session factory rather than a session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from kempen.contacts import batch as contact_batch
from kempen.contacts.custom_fields import list_definitions
from kempen.imports import records, runs
from kempen.imports.mapping import (
    ColumnMapping,
    ImportKind,
    apply_overrides,
    detect_mapping,
    require_identity,
)
from kempen.imports.reader import CsvRow, CsvSource, open_csv
from kempen.imports.rejects import Reject, RejectLog
from kempen.imports.runs import SessionFactory, Totals
from kempen.imports.schemas import ImportProgress
from kempen.kit.errors import InvalidInput
from kempen.models import ImportRun, ImportStatus
from kempen.orders import service as orders

logger = logging.getLogger("kempen.imports")
ProgressCallback = Callable[[ImportProgress], None]
MAX_BATCH_SIZE = 50_000
FIRST_ANALYZE_AT = 5_000  # rows; then each time the import has doubled, so O(log n) ANALYZEs in all

__all__ = ["detect_mapping", "import_contacts", "import_orders", "prepare_import"]


class _RowError(Protocol):
    index: int
    reason: str


class _UpsertResult(Protocol):
    created: int
    updated: int

    @property
    def errors(self) -> Sequence[_RowError]: ...


Upsert = Callable[[Session, int, str, list[dict[str, Any]]], _UpsertResult]
Batcher = Callable[[Iterator[CsvRow], list[tuple[int, str]], int], Iterator[records.Batch]]


def _upsert_contacts(session: Session, workspace_id: int, actor: str,
                     rows: list[dict[str, Any]]) -> _UpsertResult:
    return contact_batch.upsert_contacts(session, workspace_id=workspace_id, actor=actor, records=rows)


def _upsert_orders(session: Session, workspace_id: int, actor: str, rows: list[dict[str, Any]]) -> _UpsertResult:
    return orders.upsert_orders(session, workspace_id=workspace_id, actor=actor, records=rows)


_KINDS: dict[str, tuple[Upsert, Batcher]] = {
    "contacts": (_upsert_contacts, records.contact_batches),
    "orders": (_upsert_orders, records.order_batches),
}


@dataclass
class PreparedImport:
    """An opened, checked file with the mapping it will be read with; nothing is stored yet."""

    kind: ImportKind
    source: CsvSource
    mapping: ColumnMapping

    def info(self) -> dict[str, Any]:
        """What ImportRun.column_mapping keeps: the mapping, the unmapped columns and the warnings."""
        return {"columns": self.mapping.columns, "unmapped": self.mapping.unmapped,
                "warnings": self.source.warnings, "encoding": self.source.encoding.name,
                "delimiter": self.source.delimiter}


def prepare_import(session_factory: SessionFactory, *, workspace_id: int, kind: ImportKind, path: Path,
                   mapping: Mapping[str, str] | None = None) -> PreparedImport:
    """Open the file and settle the mapping; raise InvalidInput for a file that cannot be imported."""
    source = open_csv(path)
    try:
        with runs.transaction(session_factory, commit=False) as session:
            definitions = list_definitions(session, workspace_id=workspace_id) if kind == "contacts" else []
            detected = detect_mapping(source.headers, definitions, kind)
            chosen = apply_overrides(detected, mapping or {}, source.headers, definitions, kind)
        require_identity(chosen, source.headers, kind)
    except BaseException:
        source.close()
        raise
    return PreparedImport(kind=kind, source=source, mapping=chosen)


def import_contacts(session_factory: SessionFactory, *, workspace_id: int, actor: str, path: Path,
                    mapping: Mapping[str, str] | None = None, batch_size: int = 1000,
                    progress: ProgressCallback | None = None, rejects_path: Path | None = None,
                    dry_run: bool = False, filename: str | None = None) -> ImportRun:
    """Import contacts from a CSV file, matched by the identity rules; return the finished ImportRun."""
    prepared = prepare_import(session_factory, workspace_id=workspace_id, kind="contacts", path=path,
                              mapping=mapping)
    return run_import(session_factory, prepared, workspace_id=workspace_id, actor=actor, batch_size=batch_size,
                      progress=progress, rejects_path=rejects_path, dry_run=dry_run, filename=filename)


def import_orders(session_factory: SessionFactory, *, workspace_id: int, actor: str, path: Path,
                  mapping: Mapping[str, str] | None = None, batch_size: int = 1000,
                  progress: ProgressCallback | None = None, rejects_path: Path | None = None,
                  dry_run: bool = False, filename: str | None = None) -> ImportRun:
    """Import orders (one row per line item, grouped by order id) from a CSV file."""
    prepared = prepare_import(session_factory, workspace_id=workspace_id, kind="orders", path=path,
                              mapping=mapping)
    return run_import(session_factory, prepared, workspace_id=workspace_id, actor=actor, batch_size=batch_size,
                      progress=progress, rejects_path=rejects_path, dry_run=dry_run, filename=filename)


@dataclass
class _Job:
    session_factory: SessionFactory
    prepared: PreparedImport
    workspace_id: int
    actor: str
    log: RejectLog
    run_id: int | None
    progress: ProgressCallback | None


def run_import(session_factory: SessionFactory, prepared: PreparedImport, *, workspace_id: int, actor: str,
               batch_size: int = 1000, progress: ProgressCallback | None = None,
               rejects_path: Path | None = None, dry_run: bool = False, filename: str | None = None) -> ImportRun:
    """Run a prepared import batch by batch; on any failure mark the run failed and re-raise."""
    name = filename or prepared.source.path.name
    job = _Job(session_factory, prepared, workspace_id, actor, RejectLog(prepared.source.headers, rejects_path),
               None, progress)
    try:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise InvalidInput(f"The batch size must be between 1 and {MAX_BATCH_SIZE:,}.")
        if not dry_run:
            job.run_id = runs.create_run(session_factory, workspace_id=workspace_id, kind=prepared.kind,
                                         filename=name, info=prepared.info())
        totals = _run_batches(job, batch_size)
    except BaseException as exc:
        _mark_failed(job, exc)
        raise
    finally:
        job.log.close()
        prepared.source.close()
    if job.run_id is None:
        return _dry_run_result(prepared, name, totals)
    return runs.finish(session_factory, workspace_id=workspace_id, run_id=job.run_id, actor=actor)


def _run_batches(job: _Job, batch_size: int) -> Totals:
    upsert, batcher = _KINDS[job.prepared.kind]
    source = job.prepared.source
    totals = Totals()
    analyze_at = FIRST_ANALYZE_AT
    for batch in batcher(source.rows(), job.prepared.mapping.positions(source.headers), batch_size):
        with runs.transaction(job.session_factory, commit=job.run_id is not None) as session:
            result = upsert(session, job.workspace_id, job.actor, batch.records) if batch.records else None
            rejects = sorted(batch.rejects + _service_rejects(batch, result), key=lambda r: r.line)
            totals.rows += batch.row_count
            totals.created += result.created if result else 0
            totals.updated += result.updated if result else 0
            totals.rejected += len(rejects)
            totals.batches += 1
            if job.run_id is not None:
                runs.advance(session, workspace_id=job.workspace_id, run_id=job.run_id, totals=totals,
                             rejects_chunk=job.log.stored_chunk(rejects))
        job.log.write(rejects)
        if totals.rows >= analyze_at and job.run_id is not None:
            runs.refresh_statistics(job.session_factory, job.prepared.kind)
            analyze_at *= 2
        if job.progress is not None:
            job.progress(ImportProgress(rows=totals.rows, created=totals.created, updated=totals.updated,
                                        rejected=totals.rejected, batches=totals.batches,
                                        bytes_read=source.bytes_read, total_bytes=source.size))
    return totals


def _service_rejects(batch: records.Batch, result: _UpsertResult | None) -> list[Reject]:
    """Every CSV row behind a record the service refused, with the service's reason."""
    if result is None:
        return []
    return [Reject(row.line, row.cells, error.reason) for error in result.errors for row in batch.rows[error.index]]


def _mark_failed(job: _Job, exc: BaseException) -> None:
    if job.run_id is None:
        return
    reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
    try:
        runs.finish(job.session_factory, workspace_id=job.workspace_id, run_id=job.run_id, actor=job.actor,
                    error=reason.splitlines()[0][:1000])
    except Exception:  # the original failure matters more; this one is only logged
        logger.exception("could not mark import %s as failed", job.run_id)


def _dry_run_result(prepared: PreparedImport, filename: str, totals: Totals) -> ImportRun:
    """A transient ImportRun describing what the import would have done; it is never stored."""
    return ImportRun(id=None, kind=prepared.kind, filename=filename, status=ImportStatus.COMPLETED,
                     column_mapping=prepared.info(), total_rows=totals.rows, created_rows=totals.created,
                     updated_rows=totals.updated, rejected_rows=totals.rejected, rejects_csv="", error=None)
