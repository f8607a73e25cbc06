"""Campaigns, messages, variants, the review workflow, previews and the workspace's send settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import status as http

from kempen.campaigns import lifecycle, messages, preview, schemas, service, settings
from kempen.delivery import winner
from kempen.http.deps import Admin, IdPath, Manager, Marketer, SessionDep, Viewer
from kempen.kit.ids import MAX_ID
from kempen.kit.pagination import MAX_PAGE
from kempen.models import CampaignStatus
from kempen.teamwork import comments as review
from kempen.teamwork.actors import Acting
from kempen.teamwork.schemas import ReviewDecision

router = APIRouter(tags=["campaigns"])
CREATED = http.HTTP_201_CREATED
NO_CONTENT = http.HTTP_204_NO_CONTENT
CAMPAIGN = "/campaigns/{campaign_id}"
MESSAGE = CAMPAIGN + "/messages/{message_id}"
VARIANT = MESSAGE + "/variants/{variant_id}"


# Campaigns

@router.get("/campaigns", response_model=schemas.CampaignPage)
def list_campaigns(
    session: SessionDep, principal: Viewer,
    status: Annotated[CampaignStatus | None, Query(description="Default: every status but archived")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> schemas.CampaignPage:
    """Campaigns, newest first, one page at a time; archived ones only when asked for with `status=archived`."""
    items, next_cursor = service.list_campaigns(session, workspace_id=principal.workspace_id, status=status, q=q,
                                                cursor=cursor, limit=limit)
    return schemas.CampaignPage(
        items=service.campaign_summaries(session, workspace_id=principal.workspace_id, campaigns=items),
        next_cursor=next_cursor)


@router.post("/campaigns", response_model=schemas.CampaignDetail, status_code=CREATED)
def create_campaign(session: SessionDep, principal: Marketer, data: schemas.CampaignCreate) -> Any:
    """Create a draft campaign; 409 if the name is taken, 422 if the segment is not the workspace's."""
    campaign = service.create_campaign(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                       data=data)
    return service.campaign_detail(session, workspace_id=principal.workspace_id, campaign_id=campaign.id)


@router.get(CAMPAIGN, response_model=schemas.CampaignDetail)
def get_campaign(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    """A campaign with its messages and their variants."""
    return service.campaign_detail(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.patch(CAMPAIGN, response_model=schemas.CampaignDetail)
def update_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath,
                    data: schemas.CampaignUpdate) -> Any:
    """Change fields; an audience change of an approved or scheduled campaign withdraws its approval."""
    service.update_campaign(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            campaign_id=campaign_id, data=data)
    return service.campaign_detail(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.delete(CAMPAIGN, status_code=NO_CONTENT)
def delete_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> None:
    """Delete a draft; 409 for anything further along (archive it instead)."""
    service.delete_campaign(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            campaign_id=campaign_id)


@router.post(CAMPAIGN + "/duplicate", response_model=schemas.CampaignDetail, status_code=CREATED)
def duplicate_campaign(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Copy a campaign with its messages and variants into a new draft named "… (copy)"."""
    copy = service.duplicate_campaign(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                      campaign_id=campaign_id)
    return service.campaign_detail(session, workspace_id=principal.workspace_id, campaign_id=copy.id)


@router.get(CAMPAIGN + "/readiness", response_model=schemas.Readiness)
def readiness(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> schemas.Readiness:
    """What must be fixed before the campaign can be submitted or launched."""
    problems = service.readiness_problems(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)
    warnings = service.readiness_warnings(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)
    return schemas.Readiness(ready=not problems, problems=problems, warnings=warnings)


# The review workflow (launch, schedule, pause, resume and cancel are under "sending")

@router.post(CAMPAIGN + "/submit", response_model=schemas.Campaign)
def submit(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Submit a ready draft for review; 409 listing what is missing otherwise."""
    return review.submit_for_review(session, who=Acting.of(principal), campaign_id=campaign_id)


@router.post(CAMPAIGN + "/approve", response_model=schemas.Campaign)
def approve(session: SessionDep, principal: Manager, campaign_id: IdPath,
            data: ReviewDecision | None = None) -> Any:
    """Approve a campaign in review (managers), with an optional comment for the thread."""
    return review.approve(session, who=Acting.of(principal), campaign_id=campaign_id,
                          comment=data.comment if data else "")


@router.post(CAMPAIGN + "/request-changes", response_model=schemas.Campaign)
def request_changes(session: SessionDep, principal: Manager, campaign_id: IdPath, data: schemas.ChangeRequest) -> Any:
    """Send a campaign in review (or approved) back to draft with a comment (admins)."""
    return review.request_changes(session, who=Acting.of(principal), campaign_id=campaign_id, comment=data.comment)


@router.post(CAMPAIGN + "/unschedule", response_model=schemas.Campaign)
def unschedule(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Take a scheduled campaign off the schedule (back to approved, or draft if it skipped review)."""
    return lifecycle.unschedule(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                actor=principal.actor)


@router.post(CAMPAIGN + "/archive", response_model=schemas.Campaign)
def archive(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> Any:
    """Archive a draft, completed or cancelled campaign."""
    return lifecycle.archive(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                             actor=principal.actor)


# The automatic winner (its settings are fields of the campaign)

@router.post(CAMPAIGN + "/winner", response_model=schemas.Campaign)
def pick_winner(session: SessionDep, principal: Marketer, campaign_id: IdPath,
                data: schemas.WinnerPick | None = None) -> Any:
    """Decide the automatic winner now instead of at `winner_decide_at`, and send it to the rest of the audience.

    Without a body the usual rule decides (the significant leader, else the fallback); with `variant_id` that
    variant wins its message. 409 if the campaign has no automatic winner, is not running or paused, or has
    decided already.
    """
    return winner.pick_winner_now(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                  actor=principal.actor, variant_id=data.variant_id if data else None)


# Messages and variants

@router.post(CAMPAIGN + "/messages", response_model=schemas.Message, status_code=CREATED)
def add_message(session: SessionDep, principal: Marketer, campaign_id: IdPath, data: schemas.MessageCreate) -> Any:
    """Add a message on a channel, optionally with its variants; templates are checked now (422 with the line)."""
    message = messages.add_message(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                   campaign_id=campaign_id, data=data)
    return _message(session, principal.workspace_id, campaign_id, message.id)


@router.get(MESSAGE, response_model=schemas.Message)
def get_message(session: SessionDep, principal: Viewer, campaign_id: IdPath, message_id: IdPath) -> Any:
    return _message(session, principal.workspace_id, campaign_id, message_id)


@router.patch(MESSAGE, response_model=schemas.Message)
def update_message(session: SessionDep, principal: Marketer, campaign_id: IdPath, message_id: IdPath,
                   data: schemas.MessageUpdate) -> Any:
    """Rename a message or change its sender (empty falls back to the workspace's sender)."""
    messages.update_message(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            campaign_id=campaign_id, message_id=message_id, data=data)
    return _message(session, principal.workspace_id, campaign_id, message_id)


@router.delete(MESSAGE, status_code=NO_CONTENT)
def delete_message(session: SessionDep, principal: Marketer, campaign_id: IdPath, message_id: IdPath) -> None:
    messages.delete_message(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            campaign_id=campaign_id, message_id=message_id)


def _message(session: SessionDep, workspace_id: int, campaign_id: int, message_id: int) -> schemas.Message:
    return service.message_detail(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)


@router.post(MESSAGE + "/variants", response_model=schemas.Variant, status_code=CREATED)
def add_variant(session: SessionDep, principal: Marketer, campaign_id: IdPath, message_id: IdPath,
                data: schemas.VariantCreate) -> Any:
    """Add a variant (A/B); without `split_percent` the message's variants are split evenly again."""
    return messages.add_variant(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                campaign_id=campaign_id, message_id=message_id, data=data)


@router.patch(VARIANT, response_model=schemas.Variant)
def update_variant(session: SessionDep, principal: Marketer, campaign_id: IdPath, message_id: IdPath,
                   variant_id: IdPath, data: schemas.VariantUpdate) -> Any:
    """Change a variant's name, split or content; templates are checked now (422 with the part and line)."""
    return messages.update_variant(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                   campaign_id=campaign_id, message_id=message_id, variant_id=variant_id, data=data)


@router.delete(VARIANT, status_code=NO_CONTENT)
def delete_variant(session: SessionDep, principal: Marketer, campaign_id: IdPath, message_id: IdPath,
                   variant_id: IdPath) -> None:
    messages.delete_variant(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            campaign_id=campaign_id, message_id=message_id, variant_id=variant_id)


# Previews

@router.get(VARIANT + "/preview", response_model=schemas.Preview)
def preview_variant(session: SessionDep, principal: Viewer, campaign_id: IdPath, message_id: IdPath,
                    variant_id: IdPath,
                    contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID,
                                                            description="Default: the sample contact")] = None,
                    ) -> schemas.Preview:
    """A saved variant rendered for a contact of the workspace, or for the sample contact."""
    return preview.preview_variant(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                                   message_id=message_id, variant_id=variant_id, contact_id=contact_id)


@router.post("/templates/preview", response_model=schemas.Preview)
def preview_content(session: SessionDep, principal: Viewer, data: schemas.PreviewRequest) -> schemas.Preview:
    """Unsaved content rendered as the editor types; 422 naming the part and line of a template error."""
    return preview.preview_content(session, workspace_id=principal.workspace_id, data=data)


# Send settings

@router.get("/settings/sending", response_model=schemas.SendSettings, tags=["settings"])
def get_send_settings(session: SessionDep, principal: Viewer) -> schemas.SendSettings:
    """The workspace's sender, postal address, frequency cap, quiet hours and approval rule."""
    return settings.send_settings_out(settings.get_send_settings(session, workspace_id=principal.workspace_id))


@router.put("/settings/sending", response_model=schemas.SendSettings, tags=["settings"])
def update_send_settings(session: SessionDep, principal: Admin,
                         data: schemas.SendSettingsUpdate) -> schemas.SendSettings:
    """Change the given send settings (admins); fields left out keep their value."""
    row = settings.update_send_settings(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                        data=data)
    return settings.send_settings_out(row)
