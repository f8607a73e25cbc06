"""Launch: the audience frozen, an exact holdout and split, one delivery per message and contact, once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.control import cancel_campaign, launch_campaign, schedule_campaign
from kempen.delivery.scheduler import launch_due_campaigns
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import (
    AuditEntry,
    BatchStatus,
    Campaign,
    CampaignHoldoutMember,
    CampaignStatus,
    Delivery,
    DeliveryBatch,
    DeliveryReason,
    DeliveryStatus,
)
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace, statuses

pytestmark = pytest.mark.usefixtures("parked")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KEMPEN_BATCH_SIZE", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_launch_materialises_holdout_split_and_batches(session: Session, small_batches: None) -> None:
    ws = new_workspace(session)
    ids = add_contacts(session, ws, 1000)
    add_contacts(session, ws, 30, source="other")  # outside the segment
    built = make_campaign(session, ws, rule='lead_source = "test"', splits=(50, 30, 20), holdout="10", messages=2)
    result = launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    assert (result.audience, result.holdout, result.deliveries) == (1000, 100, 1800)
    assert result.batches == 2 * 5 and result.status == CampaignStatus.RUNNING
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None and campaign.snapshot_id == result.snapshot_id and campaign.launched_at is not None
    holdout = set(session.scalars(select(CampaignHoldoutMember.contact_id).where(
        CampaignHoldoutMember.campaign_id == built.campaign_id)))
    assert len(holdout) == 100 and holdout <= set(ids)
    rows = session.execute(select(Delivery.message_id, Delivery.variant_id, Delivery.contact_id, Delivery.batch_id,
                                  Delivery.status).where(Delivery.campaign_id == built.campaign_id)).all()
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    per_message = Counter(r.message_id for r in rows)
    assert sorted(per_message.values()) == [900, 900]
    for message_id in per_message:
        contacts = [r.contact_id for r in rows if r.message_id == message_id]
        assert set(contacts) == set(ids) - holdout and len(contacts) == len(set(contacts))
        split = Counter(r.variant_id for r in rows if r.message_id == message_id)
        assert sorted(split.values()) == [180, 270, 450]
    batches = session.execute(select(DeliveryBatch.id, DeliveryBatch.message_id, DeliveryBatch.delivery_count,
                                     DeliveryBatch.status)
                              .where(DeliveryBatch.campaign_id == built.campaign_id)).all()
    assert sorted(b.delivery_count for b in batches) == [100, 100] + [200] * 8
    in_batch = Counter(r.batch_id for r in rows)
    assert all(in_batch[b.id] == b.delivery_count for b in batches)
    assert {b.status for b in batches} == {BatchStatus.PENDING}
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == ws)))
    assert {"campaign.launched", "campaign.status_changed", "segment.snapshot_taken"} <= actions


def test_holdout_is_round_percent_of_the_audience(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 200)
    built = make_campaign(session, ws, splits=(50, 50), holdout="25")
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    holdout = session.scalars(select(CampaignHoldoutMember.contact_id)
                              .where(CampaignHoldoutMember.campaign_id == built.campaign_id)).all()
    assert len(holdout) == 50


def test_relaunch_is_refused_and_writes_nothing(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 50)
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    with pytest.raises(Conflict, match="already been launched"):
        launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.rollback()
    assert session.scalar(select(func.count()).where(Delivery.campaign_id == built.campaign_id)) == 50
    # The unique key holds even if something tried to write a second delivery for a contact.
    row = session.execute(select(Delivery).where(Delivery.campaign_id == built.campaign_id).limit(1)).scalar_one()
    with pytest.raises(IntegrityError):
        session.execute(insert(Delivery).values(
            workspace_id=ws, campaign_id=row.campaign_id, message_id=row.message_id, variant_id=row.variant_id,
            contact_id=row.contact_id, channel=row.channel, status=DeliveryStatus.PENDING, attempts=0))
    session.rollback()


def test_a_campaign_that_is_not_ready_cannot_launch(session: Session) -> None:
    ws = new_workspace(session)
    built = make_campaign(session, ws, splits=(60, 30))
    with pytest.raises(Conflict, match="not ready") as caught:
        launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    assert any("100" in e["message"] for e in caught.value.errors)
    session.rollback()
    assert session.scalar(select(func.count()).where(Delivery.campaign_id == built.campaign_id)) == 0


def test_an_empty_audience_completes_at_once(session: Session) -> None:
    ws = new_workspace(session)
    built = make_campaign(session, ws, rule='lead_source = "nobody"')
    result = launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    assert result.deliveries == 0 and result.status == CampaignStatus.COMPLETED


def test_schedule_then_the_scheduler_launches_on_time(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 20)
    built = make_campaign(session, ws)
    now = utcnow()
    with pytest.raises(InvalidInput, match="future"):
        schedule_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR,
                          at=now - timedelta(minutes=1))
    at = now + timedelta(hours=2)
    campaign = schedule_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR, at=at)
    session.commit()
    assert campaign.status == CampaignStatus.SCHEDULED and campaign.scheduled_at == at
    factory = get_session_factory()
    assert built.campaign_id not in launch_due_campaigns(factory, now=at - timedelta(seconds=1))
    assert built.campaign_id in launch_due_campaigns(factory, now=at)
    assert built.campaign_id not in launch_due_campaigns(factory, now=at + timedelta(seconds=1))  # once
    session.expire_all()
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None and campaign.status == CampaignStatus.RUNNING and campaign.launched_at == at
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.PENDING, None): 20})


def test_a_scheduled_campaign_that_broke_goes_back_to_draft(session: Session) -> None:
    ws = new_workspace(session)
    built = make_campaign(session, ws)
    at = utcnow() + timedelta(minutes=5)
    schedule_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR, at=at)
    session.commit()
    session.execute(Campaign.__table__.update().where(Campaign.id == built.campaign_id).values(segment_id=None))
    session.commit()
    assert launch_due_campaigns(get_session_factory(), now=at) == []
    session.expire_all()
    campaign = session.get(Campaign, built.campaign_id)
    assert campaign is not None and campaign.status == CampaignStatus.DRAFT


def test_cancel_cancels_what_is_not_sent(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 30)
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    cancel_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    assert statuses(session, built.campaign_id) == Counter(
        {(DeliveryStatus.CANCELLED, DeliveryReason.CAMPAIGN_CANCELLED): 30})
    assert set(session.scalars(select(DeliveryBatch.status).where(
        DeliveryBatch.campaign_id == built.campaign_id))) == {BatchStatus.CANCELLED}
