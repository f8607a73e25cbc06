"""Members as CSV, streamed in chunks, for a saved segment, an unsaved rule or a snapshot."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from kempen.kit.clock import utcnow
from kempen.models import Contact
from kempen.segments import rules
from kempen.segments.preview import members_query
from kempen.segments.service import get_segment
from kempen.segments.snapshots import get_snapshot, snapshot_member_ids

CHUNK_ROWS = 5_000
COLUMNS = ("id", "external_id", "email", "phone", "first_name", "last_name", "country", "lifecycle_stage",
           "created_at")
# Free-text cells a spreadsheet would run as a formula; phone (E.164) and the rest cannot start so.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FREE_TEXT = {"external_id", "email", "first_name", "last_name"}


@dataclass(frozen=True)
class ExportSource:
    """What to export, resolved and checked inside the request, evaluated later in the export's own session."""

    workspace_id: int
    label: str
    rule: rules.Rule | None = None
    snapshot_id: int | None = None
    now: datetime | None = None


def export_source(session: Session, *, workspace_id: int, segment_id: int | None = None,
                  rule: rules.Rule | None = None, snapshot_id: int | None = None) -> ExportSource:
    """Check that the segment or snapshot exists here (404 otherwise) and fix the evaluation time."""
    if sum(x is not None for x in (segment_id, rule, snapshot_id)) != 1:
        raise ValueError("give exactly one of a segment id, a rule or a snapshot id")
    if snapshot_id is not None:
        get_snapshot(session, workspace_id=workspace_id, snapshot_id=snapshot_id)
        return ExportSource(workspace_id, f"snapshot-{snapshot_id}", snapshot_id=snapshot_id)
    if segment_id is not None:
        segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
        return ExportSource(workspace_id, f"segment-{segment_id}", rule=rules.rule_from_json(segment.rule),
                            now=utcnow())
    return ExportSource(workspace_id, "segment", rule=rule, now=utcnow())


def _member_ids(session: Session, source: ExportSource) -> Select[Any]:
    if source.snapshot_id is not None:
        return snapshot_member_ids(source.workspace_id, source.snapshot_id)
    assert source.rule is not None
    return members_query(session, source.workspace_id, source.rule, source.now)


def iter_chunks(session: Session, source: ExportSource, chunk_rows: int = CHUNK_ROWS) -> Iterator[Sequence[Any]]:
    """The members' export columns, by ascending id, `chunk_rows` at a time, from one streamed query.

    One query, read through a server-side cursor, rather than a keyset query per chunk: a rule with
    aggregates would be evaluated again for every chunk (measured on 200k contacts: 3.9 s against
    2.4 s for 65k members, and the gap grows with the square of the size).
    """
    ids = _member_ids(session, source).subquery("members")
    stmt = (select(*(getattr(Contact, name) for name in COLUMNS)).join(ids, ids.c[0] == Contact.id)
            .where(Contact.workspace_id == source.workspace_id).order_by(Contact.id)
            .execution_options(yield_per=chunk_rows))
    yield from session.execute(stmt).partitions()


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if name in _FREE_TEXT and isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return getattr(value, "value", value)


def csv_text(rows: Sequence[Any], *, header: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(COLUMNS)
    writer.writerows([_cell(name, value) for name, value in zip(COLUMNS, row, strict=True)] for row in rows)
    return buffer.getvalue()


def stream_csv(factory: sessionmaker[Session], source: ExportSource, *, chunk_rows: int = CHUNK_ROWS,
               progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """Yield the CSV (header first) chunk by chunk from a read-only session of its own.

    The request's session is gone by the time a streamed response is sent, so the export opens its own.
    """
    yield csv_text([], header=True)
    with factory() as session:
        for rows in iter_chunks(session, source, chunk_rows):
            yield csv_text(rows)
            if progress is not None:
                progress(len(rows))
        session.rollback()
