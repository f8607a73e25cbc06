"""The rest of an automatic-winner campaign's audience: who they are, and their deliveries of the winner.

The rest is recomputed from what launch froze, never stored: the snapshot's members, less the
workspace's universal holdout at launch and at the decision, less the campaign's holdout, less everyone already
given a delivery of the message (the test share). Deliveries stay unique per message and contact,
so even a second materialisation could not send anybody the message twice.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.delivery.audience import IdArray
from kempen.delivery.launch import member_ids, write_deliveries
from kempen.delivery.winner_choice import Choice
from kempen.experiments.universal_holdout import held_out_mask
from kempen.models import Campaign, CampaignHoldoutMember, Delivery


def _ids(session: Session, stmt: object) -> IdArray:
    return np.fromiter(session.scalars(stmt), dtype=np.int64)  # type: ignore[call-overload]


def campaign_recipients(session: Session, campaign: Campaign, now: datetime) -> IdArray:
    """Who the campaign may still reach: members less the campaign's holdout and the universal holdout,
    both as at launch and as at `now` (a universal holdout that started during the test is respected)."""
    assert campaign.snapshot_id is not None and campaign.launched_at is not None
    workspace_id = campaign.workspace_id
    audience = member_ids(session, workspace_id, campaign.snapshot_id)
    held_out = held_out_mask(session, workspace_id=workspace_id, contact_ids=audience, at=campaign.launched_at)
    held_out |= held_out_mask(session, workspace_id=workspace_id, contact_ids=audience, at=now)
    members = audience[~held_out]
    holdout = _ids(session, select(CampaignHoldoutMember.contact_id).where(
        CampaignHoldoutMember.workspace_id == workspace_id, CampaignHoldoutMember.campaign_id == campaign.id))
    return members[~np.isin(members, holdout)]


def rest_of(session: Session, campaign: Campaign, recipients: IdArray, message_id: int) -> IdArray:
    """The recipients not yet given a delivery of this message, sorted."""
    given = _ids(session, select(Delivery.contact_id).where(
        Delivery.workspace_id == campaign.workspace_id, Delivery.campaign_id == campaign.id,
        Delivery.message_id == message_id))
    return recipients[~np.isin(recipients, given)]


def materialise_rest(session: Session, campaign: Campaign, choices: list[Choice], *,
                     batch_size: int, now: datetime) -> dict[int, int]:
    """Write the winner's deliveries for the rest of each message's audience; the size of each message's rest.

    A message decided "none" writes nothing: its rest is counted, to say who goes without.
    """
    recipients = campaign_recipients(session, campaign, now)
    sizes: dict[int, int] = {}
    for choice in choices:
        rest = rest_of(session, campaign, recipients, choice.message.id)
        sizes[choice.message.id] = len(rest)
        if choice.variant is not None:
            write_deliveries(session, campaign, choice.message, [choice.variant.id] * len(rest), rest,
                             max(1, batch_size))
    return sizes
