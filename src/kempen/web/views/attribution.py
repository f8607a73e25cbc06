"""Attribution pages: own data for a period with every model side by side, and imported conversion paths."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from kempen.attribution import path_imports
from kempen.attribution.paths import MAX_BYTES, compare_models, parse_paths_csv
from kempen.attribution.rules import DEFAULT_HALF_LIFE_DAYS
from kempen.attribution.summary import summarise_own
from kempen.attribution.types import AttributionModel
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import Role
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
MODELS = list(AttributionModel)
MODEL_LABELS = {AttributionModel.LAST_TOUCH: "Last touch", AttributionModel.FIRST_TOUCH: "First touch",
                AttributionModel.LINEAR: "Linear", AttributionModel.TIME_DECAY: "Time decay",
                AttributionModel.POSITION_BASED: "Position based", AttributionModel.MARKOV: "Markov"}


def _can_edit(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.MARKETER)


def _period(since: date | None, until: date | None) -> tuple[date, date]:
    """The days shown: `until` included; default the last 30 days up to today."""
    last = until or utcnow().date()
    first = since or last - timedelta(days=29)
    if first > last:
        raise InvalidInput("The first day is after the last day.")
    return first, last


def _own(request: Request, session: SessionDep, ctx: WebContext, since: date | None, until: date | None,
         by: str) -> dict[str, Any]:
    first, last = _period(since, until)
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    summary = summarise_own(session, workspace_id=ctx.workspace_id, since=start, until=end, models=MODELS)
    groups = summary.by_campaign if by == "campaign" else summary.by_channel
    rows: dict[str, dict[str, Any]] = {}
    for model, model_rows in groups.items():
        for r in model_rows:
            rows.setdefault(r.key, {"label": r.label, "cells": {}})["cells"][model] = r
    ordered = sorted(rows.values(), key=lambda row: (-sum(c.conversions for c in row["cells"].values()),
                                                     row["label"]))
    return {"summary": summary, "rows": ordered, "by": by, "first": first, "last": last,
            "models": MODELS, "labels": MODEL_LABELS}


def _page(request: Request, session: SessionDep, ctx: WebContext, *, since: date | None = None,
          until: date | None = None, by: str = "channel", upload_error: str | None = None,
          status_code: int = 200) -> Response:
    try:
        own = _own(request, session, ctx, since, until, by)
        period_error = None
    except InvalidInput as exc:
        own, period_error = _own(request, session, ctx, None, None, by), exc.detail
    imports, _ = path_imports.list_path_imports(session, workspace_id=ctx.workspace_id, limit=100)
    return render(request, "attribution/page.html", {
        "ctx": ctx, "nav": "attribution", "own": own, "period_error": period_error, "imports": imports,
        "can_edit": _can_edit(ctx), "upload_error": upload_error}, status_code=status_code)


@router.get("/attribution")
def attribution_page(request: Request, session: SessionDep, ctx: WebUser, since: date | None = None,
                     until: date | None = None, by: str = "channel") -> Response:
    """Own-data attribution for a period, every model side by side; imported path sets and the upload form."""
    return _page(request, session, ctx, since=since, until=until, by=by)


@router.get("/attribution/results")
def attribution_results(request: Request, session: SessionDep, ctx: WebUser, since: date | None = None,
                        until: date | None = None, by: str = "channel") -> Response:
    """The own-data table alone, for the period form's HTMX swap."""
    try:
        own, error = _own(request, session, ctx, since, until, by), None
    except InvalidInput as exc:
        own, error = _own(request, session, ctx, None, None, by), exc.detail
    return render(request, "attribution/_own.html", {"ctx": ctx, "own": own, "period_error": error},
                  headers={"HX-Push-Url": f"/attribution?{request.url.query}"})


@router.post("/attribution/imports")
async def upload_paths(request: Request, session: SessionDep, ctx: CsrfChecked, file: Annotated[UploadFile, File()],
                       name: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Store an uploaded paths CSV and show its results."""
    if not _can_edit(ctx):
        return _page(request, session, ctx, upload_error="Uploading paths needs the marketer role.", status_code=403)
    raw = await file.read(MAX_BYTES + 1)
    try:
        if len(raw) > MAX_BYTES:
            raise InvalidInput(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        rows = parse_paths_csv(raw)
        stored = path_imports.create_path_import(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                                 name=name, filename=file.filename or "", rows=rows)
    except InvalidInput as exc:
        return _page(request, session, ctx, upload_error=exc.detail, status_code=422)
    return RedirectResponse(f"/attribution/imports/{stored.id}", status_code=303)


@router.get("/attribution/imports/{import_id}")
def import_page(request: Request, session: SessionDep, ctx: WebUser, import_id: IdPath,
                half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> Response:
    """One imported path set: conversions and value per channel under every model."""
    try:
        stored = path_imports.get_path_import_or_raise(session, workspace_id=ctx.workspace_id, import_id=import_id)
    except NotFound:
        return render(request, "error.html", {"ctx": ctx, "nav": "attribution", "status_code": 404,
                                              "title": "Import not found",
                                              "message": "There is no such path import in this workspace."},
                      status_code=404)
    half_life = half_life_days if 0 < half_life_days <= 3650 else DEFAULT_HALF_LIFE_DAYS
    rows = path_imports.import_rows(stored)
    results = compare_models(rows, half_life_days=half_life)
    table: dict[str, dict[AttributionModel, Any]] = {}
    for model, channel_rows in results.items():
        for r in channel_rows:
            table.setdefault(r.channel, {})[model] = r
    channels = sorted(table, key=lambda c: (-table[c][AttributionModel.MARKOV].conversions, c))
    return render(request, "attribution/import.html", {
        "ctx": ctx, "nav": "attribution", "stored": stored, "rows": rows, "table": table, "channels": channels,
        "models": MODELS, "labels": MODEL_LABELS, "half_life": half_life, "can_edit": _can_edit(ctx),
        "total_conversions": sum(r.conversions for r in rows), "total_null": sum(r.null for r in rows)})


@router.post("/attribution/imports/{import_id}/delete")
def delete_import(request: Request, session: SessionDep, ctx: CsrfChecked, import_id: IdPath) -> Response:
    """Delete an imported path set."""
    if not _can_edit(ctx):
        return _page(request, session, ctx, upload_error="Deleting paths needs the marketer role.", status_code=403)
    with suppress(NotFound):  # already gone: the list shows the truth
        path_imports.delete_path_import(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                        import_id=import_id)
    return RedirectResponse("/attribution", status_code=303)
