"""Campaign pages: the list with its filters, the new-campaign form, and the campaign page with its settings.

The lifecycle buttons and the live progress panel are in `campaign_actions.py`, the message and variant
editor with its preview in `campaign_editor.py`; their routers are included here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.campaigns import schemas
from kempen.campaigns import service as campaigns
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import Conflict, InvalidInput, KempenError, NotFound
from kempen.models import CampaignStatus
from kempen.segments import preview as segment_preview
from kempen.segments import service as segments
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render
from kempen.web.views import campaign_actions, campaign_editor, campaign_progress
from kempen.web.views.campaign_pages import campaign_page, can_edit, forbidden, invalid_fields, not_found

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
CampaignId = IdPath
STATUS_VALUES = frozenset(status.value for status in CampaignStatus)


@dataclass(frozen=True)
class CampaignFilters:
    """The search and status filter of the campaign list, as given in the query string."""

    q: str = ""
    status: str = ""

    @property
    def status_enum(self) -> CampaignStatus | None:
        return CampaignStatus(self.status) if self.status in STATUS_VALUES else None

    def query_string(self, **extra: str) -> str:
        return urlencode({k: v for k, v in {"q": self.q, "status": self.status, **extra}.items() if v})

    @property
    def active(self) -> bool:
        return bool(self.q.strip() or self.status)


def campaign_filters(q: Annotated[str, Query(max_length=200)] = "",
                     status: Annotated[str, Query(max_length=24)] = "") -> CampaignFilters:
    return CampaignFilters(q=q, status=status)


Filters = Annotated[CampaignFilters, Depends(campaign_filters)]


def _results(session: Session, workspace_id: int, filters: CampaignFilters, cursor: str | None) -> dict[str, Any]:
    try:
        rows, next_cursor = campaigns.list_campaigns(session, workspace_id=workspace_id, status=filters.status_enum,
                                                     q=filters.q, cursor=cursor or None, limit=PAGE_SIZE)
        error = None
    except InvalidInput:
        rows, next_cursor, error = [], None, "That page link is no longer valid; start again from the first page."
    summaries = campaigns.campaign_summaries(session, workspace_id=workspace_id, campaigns=rows)
    names = {s.id: s.name for s in segments.list_segments(session, workspace_id=workspace_id)}
    return {"rows": summaries, "segment_names": names, "next_cursor": next_cursor, "error": error,
            "filters": filters, "cursor": cursor}


@router.get("/campaigns")
def campaigns_page(request: Request, session: SessionDep, ctx: WebUser, filters: Filters,
                   cursor: str | None = None, deleted: bool = False) -> Response:
    """List the workspace's campaigns, newest first, with a search box and a status filter."""
    context = _results(session, ctx.workspace_id, filters, cursor)
    context.update(ctx=ctx, nav="campaigns", statuses=list(CampaignStatus), can_edit=can_edit(ctx), deleted=deleted)
    return render(request, "campaigns/list.html", context)


@router.get("/campaigns/results")
def campaigns_results(request: Request, session: SessionDep, ctx: WebUser, filters: Filters) -> Response:
    """Return the results table alone, for the search box and status filter to swap in."""
    context = _results(session, ctx.workspace_id, filters, None)
    context.update(can_edit=can_edit(ctx))
    page_url = "/campaigns" + (f"?{filters.query_string()}" if filters.active else "")
    return render(request, "campaigns/_results.html", context, headers={"HX-Push-Url": page_url})


@router.get("/campaigns/rows")
def campaigns_rows(request: Request, session: SessionDep, ctx: WebUser, filters: Filters,
                   cursor: str | None = None) -> Response:
    """Return the next page of rows, for "Load more" to append."""
    return render(request, "campaigns/_rows.html", _results(session, ctx.workspace_id, filters, cursor))


@router.get("/campaigns/segment-count")
def segment_count(request: Request, session: SessionDep, ctx: WebUser,
                  segment_id: Annotated[str, Query(max_length=20)] = "") -> Response:
    """How many contacts the chosen segment has now and how many of them email can reach."""
    preview, error = None, None
    if segment_id.isdigit():
        try:
            preview = segment_preview.preview_segment(session, ctx.workspace_id, int(segment_id), sample_size=0)
        except NotFound:
            error = "There is no such segment in this workspace."
        except KempenError as exc:
            error = exc.detail
    return render(request, "campaigns/_segment_count.html", {"preview": preview, "error": error})


def _new_form(request: Request, session: Session, ctx: WebContext, form: dict[str, str], *,
              errors: dict[str, str] | None = None, problem: str | None = None, status_code: int = 200) -> Response:
    return render(request, "campaigns/new.html", {
        "ctx": ctx, "nav": "campaigns", "form": form, "errors": errors or {}, "problem": problem,
        "segments": segments.list_segments(session, workspace_id=ctx.workspace_id), "can_edit": can_edit(ctx),
    }, status_code=status_code)


@router.get("/campaigns/new")
def new_campaign(request: Request, session: SessionDep, ctx: WebUser,
                 segment_id: Annotated[str, Query(max_length=20)] = "") -> Response:
    """Show the new-campaign form: a name, the audience segment (with its live count) and a holdout."""
    return _new_form(request, session, ctx, {"name": "", "description": "", "segment_id": segment_id,
                                             "holdout_percent": "0"})


def parse_percent(value: str) -> Decimal | str:
    """A holdout as typed ("10", "2.5", "10 %"), or the text itself so that validation names it."""
    try:
        return Decimal(value.strip().rstrip("%").strip() or "0")
    except InvalidOperation:
        return value


@router.post("/campaigns")
def create_campaign(request: Request, session: SessionDep, ctx: CsrfChecked,
                    name: Annotated[str, Form(max_length=400)] = "",
                    description: Annotated[str, Form(max_length=10_000)] = "",
                    segment_id: Annotated[str, Form(max_length=20)] = "",
                    holdout_percent: Annotated[str, Form(max_length=20)] = "0") -> Response:
    """Create a draft campaign and open it."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Creating campaigns needs the marketer role.")
    form = {"name": name, "description": description, "segment_id": segment_id, "holdout_percent": holdout_percent}
    try:
        data = schemas.CampaignCreate(name=name, description=description,
                                      segment_id=int(segment_id) if segment_id.isdigit() else None,
                                      holdout_percent=parse_percent(holdout_percent))
        campaign = campaigns.create_campaign(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                             data=data)
    except ValidationError as exc:
        return _new_form(request, session, ctx, form, errors=invalid_fields(exc), status_code=422)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        field = "name" if isinstance(exc, Conflict) else None
        return _new_form(request, session, ctx, form, errors={field: exc.detail} if field else None,
                         problem=None if field else exc.detail, status_code=exc.status)
    return RedirectResponse(f"/campaigns/{campaign.id}", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_detail(request: Request, session: SessionDep, ctx: WebUser, campaign_id: CampaignId) -> Response:
    """Show a campaign: status and actions, readiness, progress, messages and settings."""
    try:
        return campaign_page(request, session, ctx, campaign_id)
    except NotFound:
        return not_found(request, ctx)


def _settings_update(name: str, description: str, segment_id: str, holdout_percent: str,
                     respect_quiet_hours: str | None, respect_frequency_cap: str | None) -> schemas.CampaignUpdate:
    return schemas.CampaignUpdate(
        name=name, description=description, segment_id=int(segment_id) if segment_id.isdigit() else None,
        holdout_percent=parse_percent(holdout_percent),
        respect_quiet_hours=respect_quiet_hours is not None, respect_frequency_cap=respect_frequency_cap is not None)


@router.post("/campaigns/{campaign_id}/settings")
def update_settings(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: CampaignId,
                    name: Annotated[str, Form(max_length=400)] = "",
                    description: Annotated[str, Form(max_length=10_000)] = "",
                    segment_id: Annotated[str, Form(max_length=20)] = "",
                    holdout_percent: Annotated[str, Form(max_length=20)] = "0",
                    respect_quiet_hours: Annotated[str | None, Form(max_length=8)] = None,
                    respect_frequency_cap: Annotated[str | None, Form(max_length=8)] = None) -> Response:
    """Save the campaign's name, description, audience and sending options."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Changing campaigns needs the marketer role.")
    form = {"name": name, "description": description, "segment_id": segment_id, "holdout_percent": holdout_percent,
            "respect_quiet_hours": respect_quiet_hours is not None,
            "respect_frequency_cap": respect_frequency_cap is not None}
    try:
        data = _settings_update(name, description, segment_id, holdout_percent, respect_quiet_hours,
                                respect_frequency_cap)
        campaigns.update_campaign(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                  campaign_id=campaign_id, data=data)
    except NotFound:
        return not_found(request, ctx)
    except ValidationError as exc:
        return campaign_page(request, session, ctx, campaign_id, settings_form=form,
                             settings_errors=invalid_fields(exc), status_code=422)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return campaign_page(request, session, ctx, campaign_id, settings_form=form, problem=exc.detail,
                             status_code=exc.status)
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=settings", status_code=303)


# After this module's own routes, so that /campaigns/new and friends are matched first.
for _module in (campaign_actions, campaign_editor, campaign_progress):
    router.include_router(_module.router)
