"""Reading campaigns, messages and variants of one workspace (every query filters on it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.errors import NotFound
from kempen.models import Campaign, CampaignMessage, Channel, MessageVariant


def get_campaign_or_raise(session: Session, *, workspace_id: int, campaign_id: int) -> Campaign:
    """The workspace's campaign, or NotFound."""
    found = session.scalar(select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.id == campaign_id))
    if found is None:
        raise NotFound(f"No campaign {campaign_id} in this workspace.")
    return found


def get_message_or_raise(session: Session, *, workspace_id: int, campaign_id: int, message_id: int) -> CampaignMessage:
    """The campaign's message, or NotFound."""
    found = session.scalar(select(CampaignMessage).where(
        CampaignMessage.workspace_id == workspace_id, CampaignMessage.campaign_id == campaign_id,
        CampaignMessage.id == message_id))
    if found is None:
        raise NotFound(f"No message {message_id} in campaign {campaign_id}.")
    return found


def get_variant_or_raise(session: Session, *, workspace_id: int, message_id: int, variant_id: int) -> MessageVariant:
    """The message's variant, or NotFound."""
    found = session.scalar(select(MessageVariant).where(
        MessageVariant.workspace_id == workspace_id, MessageVariant.message_id == message_id,
        MessageVariant.id == variant_id))
    if found is None:
        raise NotFound(f"No variant {variant_id} in message {message_id}.")
    return found


def messages_of(session: Session, *, workspace_id: int, campaign_id: int) -> list[CampaignMessage]:
    """A campaign's messages in the order they were added."""
    return list(session.scalars(select(CampaignMessage).where(
        CampaignMessage.workspace_id == workspace_id, CampaignMessage.campaign_id == campaign_id,
    ).order_by(CampaignMessage.id)))


def variants_by_message(session: Session, *, workspace_id: int, campaign_id: int) -> dict[int, list[MessageVariant]]:
    """A campaign's variants grouped by message, each group in the order added (one query)."""
    grouped: dict[int, list[MessageVariant]] = defaultdict(list)
    for variant in session.scalars(select(MessageVariant).where(
            MessageVariant.workspace_id == workspace_id, MessageVariant.campaign_id == campaign_id,
    ).order_by(MessageVariant.id)):
        grouped[variant.message_id].append(variant)
    return grouped


def variants_of(session: Session, *, workspace_id: int, message_id: int) -> list[MessageVariant]:
    return list(session.scalars(select(MessageVariant).where(
        MessageVariant.workspace_id == workspace_id, MessageVariant.message_id == message_id,
    ).order_by(MessageVariant.id)))


def channels_by_campaign(session: Session, *, workspace_id: int,
                         campaign_ids: Sequence[int]) -> dict[int, list[Channel]]:
    """The channels each campaign's messages use, for a page of campaigns (one query)."""
    found: dict[int, list[Channel]] = defaultdict(list)
    if not campaign_ids:
        return found
    rows = session.execute(select(CampaignMessage.campaign_id, CampaignMessage.channel).where(
        CampaignMessage.workspace_id == workspace_id, CampaignMessage.campaign_id.in_(campaign_ids),
    ).distinct().order_by(CampaignMessage.campaign_id, CampaignMessage.channel))
    for campaign_id, channel in rows:
        found[campaign_id].append(channel)
    return found
