"""Report pages: a campaign's performance (charts, costs), the workspace dashboard, tracking settings.

Sorting and filters are plain links and GET forms (query parameters), so every table works without
JavaScript and every view has an address that can be shared or reloaded. Charts are drawn by
static/js/report-charts.js from JSON blocks (reporting/charts.py); each has a caption
(reporting/captions.py) and a table beside it. Every table downloads as CSV or XLSX with
`?format=csv|xlsx&table=<key>` (reporting/tables.py), for analysts and above.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
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
from kempen.reporting import (
    captions,
    charts,
    costs,
    dashboard,
    export,
    pdf,
    report,
    schemas,
    settings,
    spend_import,
    tables,
)
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
                format: Annotated[str, Query(max_length=8)] = "", table: Annotated[str, Query(max_length=40)] = "",
                problem: str = "", saved: str = "") -> Response:
    """A campaign's headline figures, charts with captions, tables per channel and variant, time series and costs."""
    try:
        if format == "pdf":  # the report to forward: what the page shows, so every role may have it
            body = pdf.campaign_report_pdf(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                           model=_model(model), segment_id=_int(segment_id))
            return Response(body, media_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}-report.pdf"'})
        found = report.campaign_report(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                       model=_model(model), segment_id=_int(segment_id))
    except NotFound:
        return _error(request, ctx, 404, "Campaign not found", "There is no such campaign in this workspace.")
    spend = [schemas.Spend.model_validate(row)
             for row in costs.list_spend(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)]
    if format == "csv" and not table:  # every table in one CSV, with a "Table" column (as the API and CLI)
        return _export(request, ctx, format, f"campaign-{campaign_id}-report",
                       lambda: export.download(export.campaign_sections(found), found.currency, format))
    if format:
        return _export_table(request, ctx, format, table, f"campaign-{campaign_id}",
                             tables.campaign_tables(found, spend), found.currency)
    return render(request, "reports/performance.html", {
        "ctx": ctx, "nav": "campaigns", "r": found, "models": MODELS, "model": found.model.value,
        "segments": segments.list_segments(session, workspace_id=ctx.workspace_id), "segment_id": segment_id,
        "spend": spend[:50], "spend_count": len(spend), "can_edit": ctx.principal.role.includes(Role.MARKETER),
        "can_export": ctx.principal.role.includes(Role.ANALYST), "problem": problem[:300], "saved": saved[:40],
        "charts": campaign_charts(found), "captions": captions.campaign_captions(found),
        "experiment_captions": {e.message_id: captions.experiment_caption(e, found.currency)
                                for e in found.experiments},
        "today": utcnow().date().isoformat(), "query": urlencode({"model": model, "segment_id": segment_id}),
    })


def campaign_charts(found: schemas.CampaignReport) -> dict[str, Any]:
    """The chart specs of the campaign page, by section (reporting/charts.py)."""
    spread = [b for b in found.budget if b.planned is not None or b.actual]
    return {
        "series": charts.series_chart(*charts.even_series(found.series, found.launched_at, found.until))
        if found.series and found.launched_at else None,
        "experiments": {e.message_id: charts.experiment_chart(e, found.currency) for e in found.experiments},
        "variants": None if found.experiments else charts.variant_click_chart(found.variants),
        "incrementality": charts.incrementality_chart(found.incrementality) if found.incrementality else None,
        "channels": (charts.money_by_row_chart(found.channels, found.currency, title="Revenue and cost per channel")
                     if any(c.revenue or c.cost for c in found.channels) else None),
        "budget": charts.budget_chart(spread, found.currency) if spread else None,
    }


def _export(request: Request, ctx: WebContext, fmt: str, name: str, body: Any) -> Response:
    """The file `body()` makes, for analysts and above."""
    if fmt not in ("csv", "xlsx"):
        return _error(request, ctx, 400, "Unknown format", "Exports come as csv or xlsx.")
    if not ctx.principal.role.includes(Role.ANALYST):
        return _error(request, ctx, 403, "You cannot do that here", "Exports need the analyst role.")
    return _download(body(), fmt, name)


def _export_table(request: Request, ctx: WebContext, fmt: str, table: str, name: str,
                  found: list[export.Table], currency: str) -> Response:
    """One table of the page as CSV or XLSX; without `table`, every table as one workbook."""
    if not table:
        if fmt == "csv":
            return _error(request, ctx, 400, "Choose a table", "A CSV file holds one table: add table=… to the address.")
        return _export(request, ctx, fmt, name, lambda: export.tables_xlsx(found, currency))
    chosen = [t for t in found if t.key == table]
    if not chosen:
        return _error(request, ctx, 404, "No such table", f"This page has no table called “{table}”.")
    return _export(request, ctx, fmt, f"{name}-{table}", lambda: export.download_table(chosen, currency, fmt))


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


# The workspace dashboard

@dataclass(frozen=True)
class Filters:
    period: str = ""
    since: str = ""
    until: str = ""
    channel: str = ""
    status: str = ""
    segment_id: str = ""
    model: str = ""
    sort: str = "label"
    order: str = "asc"
    group: str = ""  # older export links: ?group=channel|campaign|segment&format=…

    def query(self, **changes: str) -> str:
        values = {**self.__dict__, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    def sort_link(self, field: str) -> str:
        order = "desc" if self.sort != field or self.order == "asc" else "asc"
        if self.sort != field and field == "label":
            order = "asc"
        return "/reports?" + self.query(sort=field, order=order)


def report_filters(period: Annotated[str, Query(max_length=10)] = "",
                   since: Annotated[str, Query(max_length=20)] = "", until: Annotated[str, Query(max_length=20)] = "",
                   channel: Annotated[str, Query(max_length=40)] = "", status: Annotated[str, Query(max_length=24)] = "",
                   segment_id: Annotated[str, Query(max_length=20)] = "", model: Annotated[str, Query(max_length=24)] = "",
                   sort: Annotated[str, Query(max_length=40)] = "label",
                   order: Annotated[str, Query(max_length=4)] = "asc",
                   group: Annotated[str, Query(max_length=20)] = "") -> Filters:
    custom = period == "custom" or (not period and bool(since or until))
    return Filters(period if period in dashboard.PRESETS else "custom" if custom else "",
                   since if custom else "", until if custom else "", channel, status, segment_id, model,
                   sort if sort in export.SORTABLE else "label", order if order in ("asc", "desc") else "asc",
                   group if group in GROUPS else "")


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _report_filters(f: Filters) -> tuple[str, report.ReportFilters]:
    preset, period = dashboard.choose_period(f.period, _day(f.since), _day(f.until), utcnow().date())
    status = CampaignStatus(f.status) if f.status in {s.value for s in CampaignStatus} else None
    return preset, report.ReportFilters(since=period.since, until=period.until, channel=f.channel or None,
                                        status=status, segment_id=_int(f.segment_id), model=_model(f.model))


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, ctx: WebUser,
                 f: Annotated[Filters, Depends(report_filters)],
                 format: Annotated[str, Query(max_length=8)] = "",
                 table: Annotated[str, Query(max_length=40)] = "") -> Response:
    """The dashboard: headline figures against the previous period, the trend, channels and campaigns."""
    preset, filters = _report_filters(f)
    if format and f.group and not table:  # an older link: the comparison by channel, campaign or segment
        found = report.workspace_report(session, workspace_id=ctx.workspace_id, group=f.group, filters=filters,
                                        sort=f.sort, descending=f.order == "desc")
        return _export(request, ctx, format, f"report-{f.group}", lambda: export.download(
            [(f.group.capitalize(), found.rows)], found.currency, format))
    board = dashboard.workspace_dashboard(session, workspace_id=ctx.workspace_id, filters=filters, sort=f.sort,
                                          descending=f.order == "desc")
    if format:
        return _export_table(request, ctx, format, table, "reports", tables.dashboard_tables(board), board.currency)
    return render(request, "reports/workspace.html", {
        "ctx": ctx, "nav": "reports", "d": board, "f": f, "preset": preset, "presets": dashboard.PRESETS,
        "models": MODELS, "statuses": list(CampaignStatus),
        "segments": segments.list_segments(session, workspace_id=ctx.workspace_id),
        "since": filters.since.date().isoformat(), "until": (filters.until - timedelta(days=1)).date().isoformat(),
        "channels": ["email", "sms", "push", *sorted({r.key for r in board.channels} - {"email", "sms", "push"})],
        "can_export": ctx.principal.role.includes(Role.ANALYST), "charts": dashboard_charts(board),
        "captions": dashboard_captions(board),
        "previous": (board.previous_since.date().isoformat(), (board.previous_until - timedelta(days=1)).date().isoformat()),
        "campaign_notes": {c.figures.key: f"{c.status.replace('_', ' ')} · launched {c.launched_at:%d %b %Y}"
                           for c in board.campaigns if c.launched_at},
    })


def dashboard_charts(board: dashboard.Dashboard) -> dict[str, Any]:
    """The dashboard's chart specs: the trend and money per channel."""
    title = f"Sent, opens, clicks and conversions per {board.trend_bucket}"
    return {"trend": charts.series_chart(board.trend, title=title, bucket=board.trend_bucket) if board.trend else None,
            "channels": (charts.money_by_row_chart(board.channels, board.currency, title="Revenue and cost per channel")
                         if board.channels else None)}


def dashboard_captions(board: dashboard.Dashboard) -> dict[str, str]:
    return {"trend": captions.trend_caption(board.trend, board.trend_bucket),
            "channels": captions.channels_caption(board.channels, board.currency),
            "kpis": captions.kpis_caption(board.kpis, board.currency)}


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
