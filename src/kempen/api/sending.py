"""Launching, scheduling, pausing, resuming and cancelling campaigns; their live progress and deliveries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kempen.campaigns import schemas as campaign_schemas
from kempen.delivery import control, schemas
from kempen.delivery.deliveries import list_deliveries
from kempen.delivery.progress import campaign_progress
from kempen.http.deps import IdPath, Marketer, SessionDep, Viewer
from kempen.kit.ids import MAX_ID
from kempen.kit.pagination import MAX_PAGE
from kempen.models import DeliveryReason, DeliveryStatus

router = APIRouter(tags=["sending"])
CAMPAIGN = "/campaigns/{campaign_id}"


@router.post(CAMPAIGN + "/launch", response_model=schemas.LaunchResult)
def launch_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> schemas.LaunchResult:
    """Start sending now: the audience is frozen and every delivery written; 409 if not ready or launched."""
    return control.launch_campaign(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                   actor=principal.actor)


@router.post(CAMPAIGN + "/schedule", response_model=campaign_schemas.Campaign)
def schedule_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath,
                      data: schemas.ScheduleRequest) -> Any:
    """Launch at a future moment (a scheduled campaign moves to the new time)."""
    return control.schedule_campaign(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                     actor=principal.actor, at=data.at)


@router.post(CAMPAIGN + "/pause", response_model=campaign_schemas.Campaign)
def pause_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Stop sending within seconds; what is left waits for resume."""
    return control.pause_campaign(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                  actor=principal.actor)


@router.post(CAMPAIGN + "/resume", response_model=campaign_schemas.Campaign)
def resume_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Carry on sending a paused campaign."""
    return control.resume_campaign(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                   actor=principal.actor)


@router.post(CAMPAIGN + "/cancel", response_model=campaign_schemas.Campaign)
def cancel_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Stop for good; deliveries not yet handed to a worker are cancelled."""
    return control.cancel_campaign(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                   actor=principal.actor)


@router.get(CAMPAIGN + "/progress", response_model=schemas.CampaignProgress)
def get_progress(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> schemas.CampaignProgress:
    """Audience, holdout, deliveries by status and reason, sends per variant, rate and ETA."""
    return campaign_progress(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.get(CAMPAIGN + "/deliveries", response_model=schemas.DeliveryPage)
def get_deliveries(
    session: SessionDep, principal: Viewer, campaign_id: IdPath,
    status: DeliveryStatus | None = None,
    reason: DeliveryReason | None = None,
    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> schemas.DeliveryPage:
    """A campaign's deliveries, newest first, one page at a time; filter by status, reason or contact."""
    items, next_cursor = list_deliveries(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                         status=status, reason=reason, contact_id=contact_id, cursor=cursor,
                                         limit=limit)
    return schemas.DeliveryPage(items=[schemas.DeliveryOut.model_validate(d) for d in items],
                                next_cursor=next_cursor)
