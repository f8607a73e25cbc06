"""Report pages: a campaign's performance (with its costs), the workspace's channel comparison, tracking settings.

Sorting and filters are plain links and GET forms (query parameters), so every table works without
JavaScript and every view has an address that can be shared or reloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from kempen.attribution.types import AttributionModel
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import KempenError, NotFound
from kempen.models import CampaignStatus, Role
from kempen.reporting import costs, export, report, schemas, settings, spend_import
from kempen.segments import service as segments
from kempen.tracking.settings import get_tracking_settings
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
MODELS = [m.value for m in AttributionModel]
GROUPS = ("channel", "campaign", "segment")


def _model(value: str) -> AttributionModel | None:
    return AttributionModel(value) if value in MODELS else None


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 18 else None


def _error(request: Request, ctx: WebContext, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "reports", "status_code": status, "title": title,
                                          "message": message}, status_code=status)


def _download(body: bytes, fmt: str, name: str) -> Response:
    return Response(body, media_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


# The campaign performance page

@router.get("/campaigns/{campaign_id}/performance")
def performance(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath,
                model: Annotated[str, Query(max_length=24)] = "", segment_id: Annotated[str, Query(max_length=20)] = "",
                format: Annotated[str, Query(max_length=8)] = "", problem: str = "", saved: str = "") -> Response:
    """A campaign's headline figures, tables per channel and variant, time series, costs and segment breakdown."""
    try:
        found = report.campaign_report(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                       model=_model(model), segment_id=_int(segment_id))
    except NotFound:
        return _error(request, ctx, 404, "Campaign not found", "There is no such campaign in this workspace.")
    if format in ("csv", "xlsx"):
        if not ctx.principal.role.includes(Role.ANALYST):
            return _error(request, ctx, 403, "You cannot do that here", "Exports need the analyst role.")
        return _download(export.download(export.campaign_sections(found), found.currency, format), format,
                         f"campaign-{campaign_id}-report")
    marketer = ctx.principal.role.includes(Role.MARKETER)
    return render(request, "reports/performance.html", {
        "ctx": ctx, "nav": "campaigns", "r": found, "models": MODELS, "model": found.model.value,
        "segments": segments.list_segments(session, workspace_id=ctx.workspace_id), "segment_id": segment_id,
        "spend": costs.list_spend(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)[:50],
        "can_edit": marketer, "problem": problem[:300], "saved": saved[:40], "chart": chart(found.series),
        "today": utcnow().date().isoformat(), "query": urlencode({"model": model, "segment_id": segment_id}),
    })


def chart(points: list[schemas.SeriesPoint], width: int = 720, height: int = 160) -> dict[str, Any]:
    """Bar geometry for a small server-rendered SVG of opens and clicks per bucket."""
    if not points:
        return {"bars": [], "width": width, "height": height, "peak": 0}
    peak = max(max(p.opens, p.clicks, p.sent) for p in points) or 1
    step = width / len(points)
    bars = []
    for n, p in enumerate(points):
        x = n * step
        for offset, value, kind in ((0.0, p.sent, "sent"), (step / 3, p.opens, "opens"),
                                    (2 * step / 3, p.clicks, "clicks")):
            h = height * value / peak
            bars.append({"x": round(x + offset, 2), "y": round(height - h, 2), "w": round(max(step / 3 - 1, 1), 2),
                         "h": round(h, 2), "kind": kind, "title": f"{p.start:%d %b %H:%M} · {value} {kind}"})
    return {"bars": bars, "width": width, "height": height, "peak": peak}


def _back(campaign_id: int, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"/campaigns/{campaign_id}/performance?{query}#costs", status_code=303)


def _guarded(ctx: WebContext, campaign_id: int, action: Any) -> RedirectResponse:
    """Run a cost change for a marketer and come back to the costs section, with the problem if any."""
    if not ctx.principal.role.includes(Role.MARKETER):
        return _back(campaign_id, problem="Changing costs needs the marketer role.")
    try:
        done = action()
    except ValidationError as exc:
        return _back(campaign_id, problem="; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    except KempenError as exc:
        return _back(campaign_id, problem=exc.detail)
    return _back(campaign_id, saved=done or "saved")


@router.post("/campaigns/{campaign_id}/budgets")
def set_budget(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
               channel: Annotated[str, Form(max_length=60)] = "",
               amount: Annotated[str, Form(max_length=30)] = "") -> Response:
    """Plan a channel's budget from the performance page."""
    def run() -> str:
        data = schemas.BudgetSet(channel=channel.strip().lower(), amount=_decimal(amount))
        costs.set_budget(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                         campaign_id=campaign_id, data=data)
        return "budget"
    return _guarded(ctx, campaign_id, run)


@router.post("/campaigns/{campaign_id}/spend")
def add_spend(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
              channel: Annotated[str, Form(max_length=60)] = "", spend_date: Annotated[str, Form(max_length=20)] = "",
              amount: Annotated[str, Form(max_length=30)] = "", note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Enter a day's spend from the performance page."""
    def run() -> str:
        data = schemas.SpendCreate.model_validate({"channel": channel.strip().lower(), "spend_date": spend_date,
                                                   "amount": _decimal(amount), "note": note})
        costs.add_spend(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                        campaign_id=campaign_id, data=data)
        return "spend"
    return _guarded(ctx, campaign_id, run)


@router.post("/campaigns/{campaign_id}/spend/import")
async def import_spend(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, file: UploadFile) -> Response:
    """Import a spend CSV from the performance page; a bad row refuses the file, naming the row."""
    raw = await file.read(20 * 1024 * 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _back(campaign_id, problem="The file is not UTF-8 text.")

    def run() -> str:
        result = spend_import.import_spend_csv(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                               text=text, campaign_id=campaign_id, filename=file.filename or "")
        return f"imported-{result.days}"
    return _guarded(ctx, campaign_id, run)


@router.post("/campaigns/{campaign_id}/spend/{spend_id}/delete")
def delete_spend(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, spend_id: IdPath) -> Response:
    def run() -> str:
        costs.delete_spend(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, spend_id=spend_id)
        return "deleted"
    return _guarded(ctx, campaign_id, run)


def _decimal(value: str) -> Decimal | str:
    try:
        return Decimal(value.strip().replace(",", "") or "x")
    except InvalidOperation:
        return value  # validation names it


# The workspace-wide comparison

@dataclass(frozen=True)
class Filters:
    group: str = "channel"
    since: str = ""
    until: str = ""
    channel: str = ""
    status: str = ""
    segment_id: str = ""
    model: str = ""
    sort: str = "label"
    order: str = "asc"

    def query(self, **changes: str) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    def sort_link(self, field: str) -> str:
        order = "desc" if self.sort != field or self.order == "asc" else "asc"
        if self.sort != field and field == "label":
            order = "asc"
        return "/reports?" + self.query(sort=field, order=order)


def report_filters(group: Annotated[str, Query(max_length=20)] = "channel",
                   since: Annotated[str, Query(max_length=20)] = "", until: Annotated[str, Query(max_length=20)] = "",
                   channel: Annotated[str, Query(max_length=40)] = "", status: Annotated[str, Query(max_length=24)] = "",
                   segment_id: Annotated[str, Query(max_length=20)] = "", model: Annotated[str, Query(max_length=24)] = "",
                   sort: Annotated[str, Query(max_length=40)] = "label",
                   order: Annotated[str, Query(max_length=4)] = "asc") -> Filters:
    return Filters(group if group in GROUPS else "channel", since, until, channel, status, segment_id, model,
                   sort if sort in export.SORTABLE else "label", order if order in ("asc", "desc") else "asc")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _period(f: Filters) -> tuple[datetime, datetime]:
    end = _day(f.until) or utcnow().date()
    start = _day(f.since) or end - timedelta(days=89)
    start = min(start, end)
    as_dt = lambda d: datetime.combine(d, time.min).replace(tzinfo=utcnow().tzinfo)  # noqa: E731
    return as_dt(start), as_dt(end + timedelta(days=1))


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, ctx: WebUser,
                 f: Annotated[Filters, Depends(report_filters)],
                 format: Annotated[str, Query(max_length=8)] = "") -> Response:
    """Compare channels (or campaigns, or segments) over a period, sortable, filterable and exportable."""
    since, until = _period(f)
    status = CampaignStatus(f.status) if f.status in {s.value for s in CampaignStatus} else None
    filters = report.ReportFilters(since=since, until=until, channel=f.channel or None, status=status,
                                   segment_id=_int(f.segment_id), model=_model(f.model))
    found = report.workspace_report(session, workspace_id=ctx.workspace_id, group=f.group, filters=filters,
                                    sort=f.sort, descending=f.order == "desc")
    if format in ("csv", "xlsx"):
        if not ctx.principal.role.includes(Role.ANALYST):
            return _error(request, ctx, 403, "You cannot do that here", "Exports need the analyst role.")
        return _download(export.download([(f.group.capitalize(), found.rows)], found.currency, format), format,
                         f"report-{f.group}")
    return render(request, "reports/workspace.html", {
        "ctx": ctx, "nav": "reports", "r": found, "f": f, "columns": export.COLUMNS, "models": MODELS,
        "statuses": list(CampaignStatus), "segments": segments.list_segments(session, workspace_id=ctx.workspace_id),
        "since": since.date().isoformat(), "until": (until - timedelta(days=1)).date().isoformat(),
        "channels": ["email", "sms", "push", *sorted({r.key for r in found.rows} - {"email", "sms", "push"})]
        if f.group == "channel" else ["email", "sms", "push"],
    })


# Tracking settings

@router.get("/settings/tracking")
def tracking_settings_page(request: Request, session: SessionDep, ctx: WebUser, saved: bool = False) -> Response:
    """The workspace's tracking, attribution and cost settings (admins change them)."""
    row = get_tracking_settings(session, workspace_id=ctx.workspace_id)
    return _settings_page(request, ctx, settings.tracking_settings_out(row).model_dump(), saved=saved)


def _settings_page(request: Request, ctx: WebContext, form: dict[str, Any], *, saved: bool = False,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return render(request, "reports/settings.html", {
        "ctx": ctx, "nav": "reports", "form": form, "models": MODELS, "saved": saved, "errors": errors or {},
        "can_change": ctx.principal.role.includes(Role.ADMIN)}, status_code=status_code)


_CHECKS = ("track_opens", "track_clicks", "add_utm", "exclude_machine_events")
_FIELDS = ("utm_source", "currency", "click_window_days", "open_window_days", "attribution_model",
           "email_cost_per_message", "sms_cost_per_message")


@router.post("/settings/tracking")
async def save_tracking_settings(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Save the settings form (admins); invalid fields are shown next to their input."""
    if not ctx.principal.role.includes(Role.ADMIN):
        return _error(request, ctx, 403, "You cannot do that here", "Changing settings needs the admin role.")
    form = await request.form()
    given: dict[str, Any] = {key: str(form.get(key, "")).strip() for key in _FIELDS}
    given.update({key: form.get(key) == "on" for key in _CHECKS})
    try:
        data = schemas.TrackingSettingsUpdate.model_validate(given)
        settings.update_tracking_settings(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                          data=data)
    except ValidationError as exc:
        errors = {str(e["loc"][0]) if e["loc"] else "": e["msg"].removeprefix("Value error, ") for e in exc.errors()}
        return _settings_page(request, ctx, given, errors=errors, status_code=422)
    return RedirectResponse("/settings/tracking?saved=true", status_code=303)
