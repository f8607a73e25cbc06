"""Import routes: upload a CSV of contacts or orders, then follow the run and download its rejects.

Uploads are imported synchronously within the request, whatever their size: a large file keeps
the request open until the last batch commits (the ImportRun shows progress to other requests
meanwhile). Moving big files to a background task is a later step.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query, UploadFile, status
from fastapi.responses import Response

from kempen.db import get_session_factory
from kempen.http.deps import Marketer, SessionDep, Viewer
from kempen.imports import runs, service
from kempen.imports.mapping import ImportKind
from kempen.imports.schemas import ImportRunOut, ImportRunPage
from kempen.kit.errors import InvalidInput

router = APIRouter(prefix="/imports", tags=["imports"])

MappingField = Annotated[str | None, Form(
    description='Optional JSON object of column → field overrides, e.g. {"E-mail": "email", "Notes": "ignore"}')]


@router.post("/contacts", response_model=ImportRunOut, status_code=status.HTTP_201_CREATED)
def import_contacts(principal: Marketer, file: UploadFile, mapping: MappingField = None) -> ImportRunOut:
    """Import contacts from a CSV upload; bad rows are refused one by one (see the run's rejects.csv)."""
    return _import("contacts", principal.workspace_id, principal.actor, file, mapping)


@router.post("/orders", response_model=ImportRunOut, status_code=status.HTTP_201_CREATED)
def import_orders(principal: Marketer, file: UploadFile, mapping: MappingField = None) -> ImportRunOut:
    """Import orders from a CSV upload, one row per line item, rows grouped by order id."""
    return _import("orders", principal.workspace_id, principal.actor, file, mapping)


@router.get("", response_model=ImportRunPage)
def list_imports(session: SessionDep, principal: Viewer, cursor: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=runs.MAX_PAGE)] = 50) -> ImportRunPage:
    """List import runs, newest first."""
    items, next_cursor = runs.list_runs(session, workspace_id=principal.workspace_id, cursor=cursor, limit=limit)
    return ImportRunPage(items=[ImportRunOut.of(r) for r in items], next_cursor=next_cursor)


@router.get("/{import_id}", response_model=ImportRunOut)
def get_import(session: SessionDep, principal: Viewer, import_id: int) -> ImportRunOut:
    """One import run with its counts, mapping and warnings."""
    return ImportRunOut.of(runs.get_run_or_raise(session, workspace_id=principal.workspace_id, run_id=import_id))


@router.get("/{import_id}/rejects.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "The refused rows with line and reason"}})
def get_rejects(session: SessionDep, principal: Viewer, import_id: int) -> Response:
    """The refused rows: original columns plus `line` and `reason` (the first 10,000 rejects)."""
    run = runs.get_run_or_raise(session, workspace_id=principal.workspace_id, run_id=import_id)
    return Response(run.rejects_csv, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="import-{run.id}-rejects.csv"'})


def _import(kind: ImportKind, workspace_id: int, actor: str, upload: UploadFile, mapping: str | None) -> ImportRunOut:
    overrides = _parse_mapping(mapping)
    with _spooled_to_disk(upload) as path:
        run = (service.import_contacts if kind == "contacts" else service.import_orders)(
            get_session_factory(), workspace_id=workspace_id, actor=actor, path=path, mapping=overrides,
            filename=upload.filename or "upload.csv")
    return ImportRunOut.of(run)


def _parse_mapping(raw: str | None) -> dict[str, str]:
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInput("mapping must be a JSON object of column → field, e.g. {\"E-mail\": \"email\"}.") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidInput("mapping must be a JSON object whose keys and values are strings.")
    return value


@contextmanager
def _spooled_to_disk(upload: UploadFile) -> Iterator[Path]:
    """Copy the upload to a temporary file in chunks (never whole into memory) and remove it afterwards."""
    with tempfile.NamedTemporaryFile(prefix="kempen-import-", suffix=".csv", delete=False) as tmp:
        shutil.copyfileobj(upload.file, tmp, length=1 << 20)
    path = Path(tmp.name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
