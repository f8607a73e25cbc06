"""Materialising a launch: the holdout, each recipient's variant, and every delivery and batch, in bulk.

One delivery per (message, recipient), unique on (campaign, message, contact), so nobody can get the
same message twice however often this runs; deliveries are grouped per message into batches of
`batch_size` in contact order, which is the unit a worker claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from kempen.campaigns.service import get_campaign_or_raise
from kempen.delivery.audience import IdArray, assign_variants, pick_holdout, pick_test_share
from kempen.experiments.universal_holdout import held_out_mask
from kempen.kit.sql import write_rows
from kempen.models import (
    BatchStatus,
    Campaign,
    CampaignHoldoutMember,
    CampaignMessage,
    Delivery,
    DeliveryBatch,
    DeliveryStatus,
    MessageVariant,
    SegmentSnapshotMember,
)
from kempen.segments.snapshots import snapshot_member_ids

_DELIVERY_COLUMNS = ("workspace_id", "campaign_id", "message_id", "variant_id", "contact_id", "channel",
                     "batch_id", "status", "attempts")


@dataclass(frozen=True)
class Materialised:
    audience: int
    holdout: int
    universal_holdout: int  # left out before anything else: the workspace's universal holdout
    deliveries: int
    batches: int
    winner_rest: int = 0  # recipients waiting for the automatic winner (not given a delivery yet)


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def member_ids(session: Session, workspace_id: int, snapshot_id: int) -> IdArray:
    """The snapshot's members, sorted."""
    stmt = snapshot_member_ids(workspace_id, snapshot_id).order_by(SegmentSnapshotMember.contact_id)
    return np.fromiter(session.scalars(stmt), dtype=np.int64)


def _insert_batches(session: Session, campaign: Campaign, message_id: int, sizes: list[int]) -> list[int]:
    table = _table(DeliveryBatch)
    rows = [{"workspace_id": campaign.workspace_id, "campaign_id": campaign.id, "message_id": message_id,
             "status": BatchStatus.PENDING, "attempts": 0, "delivery_count": size} for size in sizes]
    result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def _materialise_message(session: Session, campaign: Campaign, message: CampaignMessage,
                         variants: list[MessageVariant], recipients: IdArray, batch_size: int) -> tuple[int, int]:
    """Write one message's batches and deliveries; return (deliveries, batches)."""
    count = len(recipients)
    if count == 0 or not variants:
        return 0, 0
    labels = assign_variants(count, [v.split_percent for v in variants], campaign_id=campaign.id,
                             message_id=message.id)
    variant_of = np.array([v.id for v in variants], dtype=np.int64)[labels].tolist()
    return write_deliveries(session, campaign, message, variant_of, recipients, batch_size)


def write_deliveries(session: Session, campaign: Campaign, message: CampaignMessage, variant_of: list[int],
                     recipients: IdArray, batch_size: int) -> tuple[int, int]:
    """Write a message's deliveries (recipient i gets variant `variant_of[i]`) in batches; (deliveries, batches)."""
    count = len(recipients)
    if count == 0:
        return 0, 0
    sizes = [min(batch_size, count - start) for start in range(0, count, batch_size)]
    batch_ids = _insert_batches(session, campaign, message.id, sizes)
    batch_of = np.repeat(np.array(batch_ids, dtype=np.int64), sizes).tolist()
    head = (campaign.workspace_id, campaign.id, message.id)
    channel, pending = message.channel.value, DeliveryStatus.PENDING.value
    rows = [(*head, variant, contact, channel, batch, pending, 0)
            for variant, contact, batch in zip(variant_of, recipients.tolist(), batch_of, strict=True)]
    write_rows(session, _table(Delivery), _DELIVERY_COLUMNS, rows)
    return count, len(batch_ids)


def materialise(session: Session, *, workspace_id: int, campaign_id: int, snapshot_id: int,
                batch_size: int, now: datetime) -> Materialised:
    """Pick the holdout, assign variants and write every delivery and batch of a campaign being launched."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    audience = member_ids(session, workspace_id, snapshot_id)
    # The universal holdout goes first, so the campaign's own holdout is drawn from those it may reach.
    members = audience[~held_out_mask(session, workspace_id=workspace_id, contact_ids=audience, at=now)]
    recipients, holdout = pick_holdout(members, campaign.holdout_percent, campaign_id=campaign.id)
    if campaign.winner_metric:  # the automatic winner: the variants go to the test share, the rest waits
        recipients = pick_test_share(recipients, campaign.winner_test_percent, campaign_id=campaign.id)
    write_rows(session, _table(CampaignHoldoutMember), ("workspace_id", "campaign_id", "contact_id"),
               [(workspace_id, campaign.id, contact) for contact in holdout.tolist()])
    messages = session.scalars(select(CampaignMessage).where(
        CampaignMessage.workspace_id == workspace_id, CampaignMessage.campaign_id == campaign.id)
        .order_by(CampaignMessage.id))
    variants: dict[int, list[MessageVariant]] = {}
    for variant in session.scalars(select(MessageVariant).where(
            MessageVariant.workspace_id == workspace_id, MessageVariant.campaign_id == campaign.id)
            .order_by(MessageVariant.id)):
        variants.setdefault(variant.message_id, []).append(variant)
    deliveries = batches = 0
    for message in list(messages):
        written, made = _materialise_message(session, campaign, message, variants.get(message.id, []),
                                             recipients, max(1, batch_size))
        deliveries += written
        batches += made
    return Materialised(audience=len(audience), holdout=len(holdout), universal_holdout=len(audience) - len(members),
                        deliveries=deliveries, batches=batches,
                        winner_rest=len(members) - len(holdout) - len(recipients))
