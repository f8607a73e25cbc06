"""What an import reports: progress while it runs, and the ImportRun as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from kempen.imports.rejects import STORED_REJECTS_CAP
from kempen.models import ImportRun, ImportStatus


@dataclass(frozen=True)
class ImportProgress:
    """Sent to the progress callback after each committed batch."""

    rows: int
    created: int
    updated: int
    rejected: int
    batches: int
    bytes_read: int
    total_bytes: int


class ImportRunOut(BaseModel):
    id: int | None = Field(description="Null for a dry run, which stores nothing")
    kind: str
    filename: str
    status: ImportStatus
    total_rows: int = Field(description="Data rows read so far, including refused ones")
    created_rows: int = Field(description="Contacts or orders created")
    updated_rows: int = Field(description="Contacts or orders updated")
    rejected_rows: int = Field(description="Data rows refused; see rejects.csv for each one's reason")
    column_mapping: dict[str, str] = Field(description="The field each CSV column was read into")
    unmapped_columns: list[str] = Field(description="Columns nothing was read from")
    warnings: list[str]
    rejects_truncated: bool = Field(
        description=f"True when more rows were refused than the {STORED_REJECTS_CAP:,} kept in rejects.csv")
    error: str | None
    created_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, run: ImportRun) -> ImportRunOut:
        """Describe a run without touching its (possibly large, deferred) rejects text."""
        info: dict[str, Any] = run.column_mapping or {}
        return cls(
            id=run.id, kind=run.kind, filename=run.filename, status=run.status, total_rows=run.total_rows or 0,
            created_rows=run.created_rows or 0, updated_rows=run.updated_rows or 0,
            rejected_rows=run.rejected_rows or 0, column_mapping=info.get("columns", {}),
            unmapped_columns=info.get("unmapped", []), warnings=info.get("warnings", []),
            rejects_truncated=(run.rejected_rows or 0) > STORED_REJECTS_CAP, error=run.error,
            created_at=run.created_at, finished_at=run.finished_at,
        )


class ImportRunPage(BaseModel):
    items: list[ImportRunOut]
    next_cursor: str | None
