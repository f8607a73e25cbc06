"""Reports and costs: tracking settings, budgets, spend (entered or imported), campaign and channel figures."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, UploadFile
from fastapi import status as http
from fastapi.responses import Response

from kempen.accounts.service import Principal
from kempen.attribution.types import AttributionModel
from kempen.experiments.schemas import Metric
from kempen.http.deps import Admin, IdPath, Marketer, SessionDep, Viewer
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput
from kempen.kit.ids import MAX_ID
from kempen.models import CampaignStatus, Role
from kempen.reporting import costs, export, pdf, report, schemas, settings, spend_import
from kempen.tracking.settings import get_tracking_settings as read_settings

router = APIRouter(tags=["reports"])
CAMPAIGN = "/campaigns/{campaign_id}"
MAX_UPLOAD = 20 * 1024 * 1024
Format = Literal["json", "csv", "xlsx"]
FormatQuery = Annotated[Format, Query(description="json (default), or a csv / xlsx download (analysts and up)")]
CampaignFormat = Literal["json", "csv", "xlsx", "pdf"]
CampaignFormatQuery = Annotated[CampaignFormat, Query(
    description="json (default); a csv / xlsx download (analysts and up); or pdf, the report to forward")]
ModelQuery = Annotated[AttributionModel | None, Query(description="Default: the workspace's model")]
MetricQuery = Annotated[Metric | None, Query(
    description="What the variants are compared on; default: the campaign's winner metric, else click_rate")]


# Tracking settings

@router.get("/settings/tracking", response_model=schemas.TrackingSettings, tags=["settings"])
def get_tracking_settings(session: SessionDep, principal: Viewer) -> schemas.TrackingSettings:
    """Tracking, attribution and cost settings: opens/clicks, UTM, currency, windows, model, costs per message."""
    return settings.tracking_settings_out(read_settings(session, workspace_id=principal.workspace_id))


@router.put("/settings/tracking", response_model=schemas.TrackingSettings, tags=["settings"])
def update_tracking_settings(session: SessionDep, principal: Admin,
                             data: schemas.TrackingSettingsUpdate) -> schemas.TrackingSettings:
    """Change the given settings (admins); fields left out keep their value."""
    row = settings.update_tracking_settings(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                            data=data)
    return settings.tracking_settings_out(row)


# Budgets and spend

@router.get(CAMPAIGN + "/budgets", response_model=list[schemas.Budget])
def list_budgets(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    """The campaign's planned budget per channel."""
    return costs.list_budgets(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.put(CAMPAIGN + "/budgets", response_model=schemas.Budget)
def set_budget(session: SessionDep, principal: Marketer, campaign_id: IdPath, data: schemas.BudgetSet) -> Any:
    """Plan (or re-plan) the budget of one channel, in the workspace currency."""
    return costs.set_budget(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            campaign_id=campaign_id, data=data)


@router.delete(CAMPAIGN + "/budgets/{channel}", status_code=http.HTTP_204_NO_CONTENT)
def delete_budget(session: SessionDep, principal: Marketer, campaign_id: IdPath,
                  channel: Annotated[str, Path(max_length=40)]) -> None:
    """Remove the planned budget of one channel."""
    costs.delete_budget(session, workspace_id=principal.workspace_id, actor=principal.actor,
                        campaign_id=campaign_id, channel=channel)


@router.get(CAMPAIGN + "/spend", response_model=list[schemas.Spend])
def list_spend(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    """The campaign's actual spend per channel and day, newest first."""
    return costs.list_spend(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.post(CAMPAIGN + "/spend", response_model=schemas.Spend, status_code=http.HTTP_201_CREATED)
def add_spend(session: SessionDep, principal: Marketer, campaign_id: IdPath, data: schemas.SpendCreate) -> Any:
    """Enter a day's spend on a channel by hand (again for the same day and channel: replaced)."""
    return costs.add_spend(session, workspace_id=principal.workspace_id, actor=principal.actor,
                           campaign_id=campaign_id, data=data)


@router.delete("/spend/{spend_id}", status_code=http.HTTP_204_NO_CONTENT)
def delete_spend(session: SessionDep, principal: Marketer, spend_id: IdPath) -> None:
    costs.delete_spend(session, workspace_id=principal.workspace_id, actor=principal.actor, spend_id=spend_id)


@router.post("/spend/import", response_model=schemas.SpendImportResult)
async def import_spend(session: SessionDep, principal: Marketer, file: UploadFile,
                       campaign_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> Any:
    """Import a spend CSV (date, channel, amount [, currency] [, campaign]); a bad row refuses the whole file."""
    raw = await file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise InvalidInput("The file is larger than 20 MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.") from None
    return spend_import.import_spend_csv(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                         text=text, campaign_id=campaign_id, filename=file.filename or "")


# Reports

def _download(principal: Principal, sections: list[tuple[str, Any]], currency: str, fmt: Format,
              name: str) -> Response:
    principal.require(Role.ANALYST)  # exports are an analyst's right (docs/api.md)
    body = export.download(sections, currency, fmt)
    return Response(body, media_type=export.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/reports/campaigns/{campaign_id}", response_model=schemas.CampaignReport,
            responses={200: {"content": {"application/pdf": {}, "text/csv": {}, export.MEDIA_TYPES["xlsx"]: {}}}})
def campaign_report(session: SessionDep, principal: Viewer, campaign_id: IdPath, model: ModelQuery = None,
                    segment_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                                            description="Break recipients down by it")] = None,
                    metric: MetricQuery = None, format: CampaignFormatQuery = "json") -> Any:
    """A campaign's figures: totals, per channel and variant, over time, budget against actual, by segment,
    and its A/B experiments (each message's variants compared on `metric`); or the same as a PDF."""
    if format == "pdf":  # what the report page shows, so a viewer may have it
        body = pdf.campaign_report_pdf(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                       model=model, segment_id=segment_id, metric=metric)
        return Response(body, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}-report.pdf"'})
    found = report.campaign_report(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                   model=model, segment_id=segment_id, metric=metric)
    if format == "json":
        return found
    return _download(principal, export.campaign_sections(found), found.currency, format,
                     f"campaign-{campaign_id}-report")


def period(since: date | None, until: date | None) -> tuple[datetime, datetime]:
    """[since, until] as UTC datetimes, `until` inclusive as a day; default: the last 90 days."""
    today = utcnow().date()
    end, start = until or today, since or (until or today) - timedelta(days=89)
    if start > end:
        raise InvalidInput("`since` is after `until`.")
    as_dt = lambda d: datetime.combine(d, time.min).replace(tzinfo=utcnow().tzinfo)  # noqa: E731
    return as_dt(start), as_dt(end + timedelta(days=1))


@router.get("/reports/channels", response_model=schemas.WorkspaceReport)
def channel_report(session: SessionDep, principal: Viewer,
                   group: Annotated[Literal["channel", "campaign", "segment"], Query()] = "channel",
                   since: date | None = None, until: date | None = None,
                   channel: Annotated[str | None, Query(max_length=40)] = None,
                   status: CampaignStatus | None = None,
                   segment_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                   model: ModelQuery = None,
                   sort: Annotated[str, Query(max_length=40)] = "label",
                   order: Literal["asc", "desc"] = "asc", format: FormatQuery = "json") -> Any:
    """Campaigns launched in the period (default: last 90 days), compared per channel, campaign or segment."""
    start, end = period(since, until)
    if sort not in export.SORTABLE:
        raise InvalidInput(f"Cannot sort by {sort!r}; use one of {', '.join(sorted(export.SORTABLE))}.")
    filters = report.ReportFilters(since=start, until=end, channel=channel or None, status=status,
                                   segment_id=segment_id, model=model)
    found = report.workspace_report(session, workspace_id=principal.workspace_id, group=group, filters=filters,
                                    sort=sort, descending=order == "desc")
    if format == "json":
        return found
    return _download(principal, [(group.capitalize(), found.rows)], found.currency, format, f"report-{group}")
