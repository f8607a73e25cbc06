"""Campaigns: create, list, read, change, delete and duplicate; readiness and status moves re-exported here.

Messages and variants are in `messages.py`, the status machine in `lifecycle.py`, previews in `preview.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import schemas
from kempen.campaigns.lifecycle import begin_edit, label, transition
from kempen.campaigns.readiness import readiness_problems, readiness_warnings
from kempen.campaigns.repository import (
    channels_by_campaign,
    get_campaign_or_raise,
    get_message_or_raise,
    messages_of,
    variants_by_message,
    variants_of,
)
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import Campaign, CampaignMessage, CampaignStatus, MessageVariant, Objective, Segment
from kempen.segments import service as segments
from kempen.tracking import topics

__all__ = ["get_campaign_or_raise", "readiness_problems", "readiness_warnings", "transition", "list_campaigns",
           "create_campaign", "update_campaign", "delete_campaign", "duplicate_campaign", "copy_campaign", "campaign_detail",
           "campaign_summaries", "message_detail"]

_WINNER_SETTINGS = ("winner_metric", "winner_test_percent", "winner_wait_minutes", "winner_fallback")
# Changing any of these changes who receives what: an approval no longer holds.
_AUDIENCE_FIELDS = ("segment_id", "topic_id", "holdout_percent", "respect_quiet_hours", "respect_frequency_cap",
                    *_WINNER_SETTINGS)
_COPIED_FIELDS = ("description", "segment_id", "topic_id", "holdout_percent", "respect_quiet_hours",
                  "respect_frequency_cap", *_WINNER_SETTINGS)
_CLEARABLE = ("segment_id", "topic_id", "winner_metric")  # null turns the automatic winner off
_MESSAGE_COPY = ("channel", "name", "from_name", "from_email", "reply_to", "sender_identity_id")
_VARIANT_COPY = ("name", "split_percent", "subject", "preheader", "html", "text", "body", "content")
_OBJECTIVE_COPY = ("metric", "conversion_name", "baseline", "target", "deadline", "description", "relevance")


def _check_name_free(session: Session, workspace_id: int, name: str, campaign_id: int | None = None) -> None:
    owner = session.scalar(select(Campaign.id).where(Campaign.workspace_id == workspace_id, Campaign.name == name))
    if owner is not None and owner != campaign_id:
        raise Conflict(f"A campaign named {name!r} already exists.")


def _check_segment(session: Session, workspace_id: int, segment_id: int | None) -> None:
    if segment_id is None:
        return
    try:
        segments.get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    except NotFound as exc:  # a bad id in a body is invalid input, not a missing page
        raise InvalidInput(exc.detail, errors=[{"field": "segment_id", "message": exc.detail}]) from None


def _check_topic(session: Session, workspace_id: int, topic_id: int | None) -> None:
    if topic_id is None:
        return
    try:
        topics.get_topic_or_raise(session, workspace_id=workspace_id, topic_id=topic_id)
    except NotFound as exc:
        raise InvalidInput(exc.detail, errors=[{"field": "topic_id", "message": exc.detail}]) from None


def list_campaigns(session: Session, *, workspace_id: int, status: CampaignStatus | None = None,
                   q: str | None = None, cursor: str | None = None,
                   limit: int = 50) -> tuple[list[Campaign], str | None]:
    """One page of campaigns, newest first, of one status or all but archived, optionally with `q` in the name."""
    stmt = select(Campaign).where(Campaign.workspace_id == workspace_id)
    if status is not None:
        stmt = stmt.where(Campaign.status == status)
    else:  # archiving is how a campaign leaves the working list
        stmt = stmt.where(Campaign.status != CampaignStatus.ARCHIVED)
    if q and q.strip():
        stmt = stmt.where(Campaign.name.icontains(q.strip(), autoescape=True))
    return keyset_page(session, stmt, Campaign.id, cursor=cursor, limit=limit)


def campaign_summaries(session: Session, *, workspace_id: int,
                       campaigns: list[Campaign]) -> list[schemas.CampaignSummary]:
    """List rows with the channels each campaign uses (one query for the page)."""
    channels = channels_by_campaign(session, workspace_id=workspace_id, campaign_ids=[c.id for c in campaigns])
    return [schemas.CampaignSummary(**schemas.Campaign.model_validate(c).model_dump(), channels=channels[c.id])
            for c in campaigns]


def create_campaign(session: Session, *, workspace_id: int, actor: str, data: schemas.CampaignCreate) -> Campaign:
    """Create a draft campaign; names are unique in a workspace and the segment must be the workspace's."""
    _check_name_free(session, workspace_id, data.name)
    _check_segment(session, workspace_id, data.segment_id)
    _check_topic(session, workspace_id, data.topic_id)
    campaign = Campaign(workspace_id=workspace_id, status=CampaignStatus.DRAFT, created_by=actor,
                        **data.model_dump())
    session.add(campaign)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.created", entity_type="campaign",
                 entity_id=campaign.id, details={"name": campaign.name})
    return campaign


def update_campaign(session: Session, *, workspace_id: int, actor: str, campaign_id: int,
                    data: schemas.CampaignUpdate) -> Campaign:
    """Change the given fields; audience and options only before launch, name and description any time."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    given = data.model_dump(exclude_unset=True)
    if given.get("name") is None:
        given.pop("name", None)
    if given.get("description") is None:
        given.pop("description", None)
    changes = {key: value for key, value in given.items()
               if (value is not None or key in _CLEARABLE) and getattr(campaign, key) != value}
    if "name" in changes:
        _check_name_free(session, workspace_id, changes["name"], campaign_id)
    audience = sorted(key for key in changes if key in _AUDIENCE_FIELDS)
    if audience:
        _check_segment(session, workspace_id, changes.get("segment_id"))
        _check_topic(session, workspace_id, changes.get("topic_id"))
        begin_edit(session, campaign, actor=actor, what=", ".join(audience))
    for key, value in changes.items():
        setattr(campaign, key, value)
    session.flush()
    if changes:
        audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.updated",
                     entity_type="campaign", entity_id=campaign_id, details={"changes": _plain(changes)})
    return campaign


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    return {key: str(value) if key == "holdout_percent" else value for key, value in changes.items()}


def delete_campaign(session: Session, *, workspace_id: int, actor: str, campaign_id: int) -> None:
    """Delete a draft with its messages; anything further along is archived instead (its history stays)."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(_why_not_deletable(campaign.status))
    name = campaign.name
    # Compare-and-set: a draft launched at this very moment is not deleted under the engine.
    result = session.execute(delete(Campaign).where(
        Campaign.workspace_id == workspace_id, Campaign.id == campaign_id,
        Campaign.status == CampaignStatus.DRAFT).execution_options(synchronize_session=False))
    session.expunge(campaign)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("The campaign changed meanwhile; reload it and try again.")
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.deleted", entity_type="campaign",
                 entity_id=campaign_id, details={"name": name})


def _why_not_deletable(status: CampaignStatus) -> str:
    hint = {
        CampaignStatus.IN_REVIEW: "request changes to bring it back to draft first",
        CampaignStatus.APPROVED: "request changes to bring it back to draft first",
        CampaignStatus.SCHEDULED: "unschedule it and bring it back to draft first",
        CampaignStatus.RUNNING: "cancel it, then archive it",
        CampaignStatus.PAUSED: "cancel it, then archive it",
        CampaignStatus.ARCHIVED: "it is archived already",
    }.get(status, "archive it instead; its report stays")
    return f"Only draft campaigns can be deleted; this one is {label(status)}: {hint}."


def _copy_name(session: Session, workspace_id: int, name: str) -> str:
    taken = set(session.scalars(select(Campaign.name).where(
        Campaign.workspace_id == workspace_id, Campaign.name.startswith(name[:150], autoescape=True))))
    for n in range(1, 1000):
        suffix = " (copy)" if n == 1 else f" (copy {n})"
        candidate = name[:200 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise Conflict(f"Too many copies of {name!r}; rename some first.")


@dataclass(frozen=True)
class Duplicate:
    """A campaign's copy, with the objectives not copied because their deadline has passed."""

    campaign: Campaign
    objectives_copied: int
    objectives_left_out: int


def duplicate_campaign(session: Session, *, workspace_id: int, actor: str, campaign_id: int) -> Campaign:
    """Copy a campaign's audience, options, messages, variants and objectives into a new draft "… (copy)"."""
    return copy_campaign(session, workspace_id=workspace_id, actor=actor, campaign_id=campaign_id).campaign


def copy_campaign(session: Session, *, workspace_id: int, actor: str, campaign_id: int) -> Duplicate:
    """Duplicate a campaign and say how many objectives came along (those still due) and how many did not."""
    source = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    copy = Campaign(workspace_id=workspace_id, name=_copy_name(session, workspace_id, source.name),
                    status=CampaignStatus.DRAFT, created_by=actor,
                    **{key: getattr(source, key) for key in _COPIED_FIELDS})
    session.add(copy)
    session.flush()
    _copy_messages(session, workspace_id, campaign_id, copy.id)
    copied, left_out = _copy_objectives(session, workspace_id, campaign_id, copy.id, actor)
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.duplicated",
                 entity_type="campaign", entity_id=copy.id,
                 details={"source_id": campaign_id, "name": copy.name, "objectives_copied": copied,
                          "objectives_left_out": left_out})
    return Duplicate(copy, copied, left_out)


def _copy_messages(session: Session, workspace_id: int, source_id: int, copy_id: int) -> None:
    variants = variants_by_message(session, workspace_id=workspace_id, campaign_id=source_id)
    for message in messages_of(session, workspace_id=workspace_id, campaign_id=source_id):
        new_message = CampaignMessage(workspace_id=workspace_id, campaign_id=copy_id,
                                      **{key: getattr(message, key) for key in _MESSAGE_COPY})
        session.add(new_message)
        session.flush()
        session.add_all([MessageVariant(workspace_id=workspace_id, campaign_id=copy_id, message_id=new_message.id,
                                        **{key: getattr(v, key) for key in _VARIANT_COPY})
                         for v in variants.get(message.id, [])])
    session.flush()


def _copy_objectives(session: Session, workspace_id: int, source_id: int, copy_id: int,
                     actor: str) -> tuple[int, int]:
    # A deadline that has passed cannot be met by a new send; moving it would invent a plan nobody made,
    # so such objectives are left out (and counted) for the team to set again.
    today = utcnow().date()
    objectives = list(session.scalars(select(Objective).where(
        Objective.workspace_id == workspace_id, Objective.campaign_id == source_id).order_by(Objective.id)))
    due = [o for o in objectives if o.deadline >= today]
    session.add_all([Objective(workspace_id=workspace_id, campaign_id=copy_id, created_by=actor,
                               **{key: getattr(o, key) for key in _OBJECTIVE_COPY}) for o in due])
    session.flush()
    return len(due), len(objectives) - len(due)


def _message_out(message: CampaignMessage, variants: list[MessageVariant]) -> schemas.Message:
    return schemas.Message(
        id=message.id, campaign_id=message.campaign_id, channel=message.channel, name=message.name,
        from_name=message.from_name, from_email=message.from_email, reply_to=message.reply_to,
        sender_identity_id=message.sender_identity_id, created_at=message.created_at, updated_at=message.updated_at,
        variants=[schemas.Variant.model_validate(v) for v in variants])


def message_detail(session: Session, *, workspace_id: int, campaign_id: int, message_id: int) -> schemas.Message:
    """One message of a campaign with its variants."""
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    return _message_out(message, variants_of(session, workspace_id=workspace_id, message_id=message_id))


def campaign_detail(session: Session, *, workspace_id: int, campaign_id: int) -> schemas.CampaignDetail:
    """A campaign with its segment's name and its messages and variants (four queries)."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    segment_name = None
    if campaign.segment_id is not None:
        segment_name = session.scalar(select(Segment.name).where(
            Segment.workspace_id == workspace_id, Segment.id == campaign.segment_id))
    variants = variants_by_message(session, workspace_id=workspace_id, campaign_id=campaign_id)
    messages = [_message_out(m, variants.get(m.id, []))
                for m in messages_of(session, workspace_id=workspace_id, campaign_id=campaign_id)]
    return schemas.CampaignDetail(**schemas.Campaign.model_validate(campaign).model_dump(),
                                  segment_name=segment_name, messages=messages)
