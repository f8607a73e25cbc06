"""Attribution: own data per channel and campaign, and conversion paths imported from other tools."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, UploadFile
from fastapi import status as http

from kempen.attribution import path_imports, schemas
from kempen.attribution.paths import MAX_BYTES, parse_paths_csv
from kempen.attribution.rules import DEFAULT_HALF_LIFE_DAYS
from kempen.attribution.summary import summarise_own
from kempen.attribution.types import AttributionModel
from kempen.http.deps import IdPath, Marketer, SessionDep, Viewer
from kempen.kit.clock import as_utc, utcnow
from kempen.kit.errors import InvalidInput
from kempen.kit.pagination import MAX_PAGE

router = APIRouter(tags=["attribution"])
IMPORT = "/attribution/imports/{import_id}"
ModelsQuery = Annotated[list[str] | None, Query(
    description="One or more of last_touch, first_touch, linear, time_decay, position_based, markov, or all; "
                "default: the workspace's model")]
HalfLifeQuery = Annotated[float, Query(gt=0, le=3650, description="Time decay half-life in days")]


def _models(model: list[str] | None) -> list[AttributionModel | str] | None:
    if not model:
        return None
    if "all" in model:
        return list(AttributionModel)
    return list(dict.fromkeys(model))


@router.get("/attribution", response_model=schemas.OwnAttributionOut)
def own_attribution(
    session: SessionDep, principal: Viewer,
    since: Annotated[datetime | None, Query(description="Start (included); default 30 days before `until`")] = None,
    until: Annotated[datetime | None, Query(description="End (excluded); default now")] = None,
    model: ModelsQuery = None,
) -> schemas.OwnAttributionOut:
    """Conversions of [since, until) credited per channel and per campaign under one or more models."""
    end = as_utc(until) if until else utcnow()
    start = as_utc(since) if since else end - timedelta(days=30)
    summary = summarise_own(session, workspace_id=principal.workspace_id, since=start, until=end,
                            models=_models(model))
    return schemas.OwnAttributionOut.of(summary)


@router.get("/attribution/imports", response_model=schemas.PathImportPage)
def list_imports(session: SessionDep, principal: Viewer, cursor: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> schemas.PathImportPage:
    """Imported path sets, newest first."""
    items, next_cursor = path_imports.list_path_imports(session, workspace_id=principal.workspace_id,
                                                        cursor=cursor, limit=limit)
    return schemas.PathImportPage(items=[schemas.PathImportOut.of(i) for i in items], next_cursor=next_cursor)


@router.post("/attribution/imports", response_model=schemas.PathImportOut, status_code=http.HTTP_201_CREATED)
async def upload_import(session: SessionDep, principal: Marketer, file: UploadFile,
                        name: Annotated[str, Form(max_length=200)] = "") -> schemas.PathImportOut:
    """Upload a paths CSV (path, total_conversions, total_conversion_value, total_null); a bad row refuses the file."""
    raw = await file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    rows = parse_paths_csv(raw)
    stored = path_imports.create_path_import(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                             name=name, filename=file.filename or "", rows=rows)
    return schemas.PathImportOut.of(stored)


@router.post("/attribution/imports/rows", response_model=schemas.PathImportOut, status_code=http.HTTP_201_CREATED)
def create_import(session: SessionDep, principal: Marketer, data: schemas.PathImportCreate) -> schemas.PathImportOut:
    """Store paths sent as JSON rows."""
    stored = path_imports.create_path_import(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                             name=data.name, filename="", rows=[r.to_row() for r in data.rows])
    return schemas.PathImportOut.of(stored)


@router.get(IMPORT, response_model=schemas.PathImportOut)
def get_import(session: SessionDep, principal: Viewer, import_id: IdPath) -> schemas.PathImportOut:
    """One import's totals."""
    return schemas.PathImportOut.of(path_imports.get_path_import_or_raise(
        session, workspace_id=principal.workspace_id, import_id=import_id))


@router.get(IMPORT + "/results", response_model=schemas.PathImportResults)
def import_results(session: SessionDep, principal: Viewer, import_id: IdPath, model: ModelsQuery = None,
                   half_life_days: HalfLifeQuery = DEFAULT_HALF_LIFE_DAYS) -> schemas.PathImportResults:
    """Conversions, value and share per channel under the models asked for (default markov)."""
    stored = path_imports.get_path_import_or_raise(session, workspace_id=principal.workspace_id, import_id=import_id)
    chosen = _models(model) or [AttributionModel.MARKOV]
    try:
        models = [AttributionModel(m) for m in chosen]
    except ValueError:
        raise InvalidInput(f"Unknown attribution model in {', '.join(map(str, chosen))}.") from None
    return schemas.PathImportResults(import_id=stored.id, half_life_days=half_life_days, models={
        m: [schemas.ChannelResultOut.of(r) for r in path_imports.import_results(stored, m, half_life_days)]
        for m in models})


@router.delete(IMPORT, status_code=http.HTTP_204_NO_CONTENT)
def delete_import(session: SessionDep, principal: Marketer, import_id: IdPath) -> None:
    """Delete an import."""
    path_imports.delete_path_import(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                    import_id=import_id)
