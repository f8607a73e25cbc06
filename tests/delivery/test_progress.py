"""Progress: counts by status and reason, per variant, deferred, rate and ETA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.delivery.control import launch_campaign
from kempen.delivery.progress import campaign_progress
from kempen.kit.clock import utcnow
from kempen.models import CampaignStatus, Delivery, DeliveryReason, DeliveryStatus
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace

pytestmark = pytest.mark.usefixtures("parked")


def test_progress_counts_everything_in_one_view(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 100)
    built = make_campaign(session, ws, splits=(50, 50), holdout="10")
    now = utcnow()
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR,
                    now=now - timedelta(minutes=5))
    session.commit()
    ids = list(session.scalars(select(Delivery.id).where(Delivery.campaign_id == built.campaign_id)
                               .order_by(Delivery.id)))
    assert len(ids) == 90

    def mark(chosen: list[int], **values: object) -> None:
        session.execute(update(Delivery).where(Delivery.id.in_(chosen)).values(**values))

    mark(ids[:30], status=DeliveryStatus.SENT, sent_at=now - timedelta(seconds=10))
    mark(ids[30:40], status=DeliveryStatus.SENT, sent_at=now - timedelta(minutes=3))
    mark(ids[40:45], status=DeliveryStatus.SKIPPED, reason=DeliveryReason.UNSUBSCRIBED)
    mark(ids[45:47], status=DeliveryStatus.SKIPPED, reason=DeliveryReason.FREQUENCY_CAP)
    mark(ids[47:48], status=DeliveryStatus.FAILED, reason=DeliveryReason.BOUNCED)
    mark(ids[48:52], not_before=now + timedelta(hours=3))  # quiet hours
    session.commit()
    progress = campaign_progress(session, workspace_id=ws, campaign_id=built.campaign_id, now=now)
    assert progress.status == CampaignStatus.RUNNING
    assert (progress.audience, progress.holdout, progress.deliveries) == (100, 10, 90)
    assert progress.by_status[DeliveryStatus.SENT] == 40 and progress.by_status[DeliveryStatus.PENDING] == 42
    assert progress.by_status[DeliveryStatus.CANCELLED] == 0
    assert progress.skipped_by_reason == {DeliveryReason.UNSUBSCRIBED: 5, DeliveryReason.FREQUENCY_CAP: 2}
    assert progress.failed_by_reason == {DeliveryReason.BOUNCED: 1}
    assert progress.deferred == 4 and progress.done == 48 and progress.percent_done == 53.3
    assert progress.rate_per_second == 0.5  # 30 sent in the last minute
    assert progress.eta_seconds == 76.0  # 38 due now at 0.5/s
    assert sum(v.deliveries for v in progress.variants) == 90 and sum(v.sent for v in progress.variants) == 40
    assert sorted(v.deliveries for v in progress.variants) == [45, 45]


def test_progress_of_a_draft_is_empty(session: Session) -> None:
    ws = new_workspace(session)
    built = make_campaign(session, ws)
    progress = campaign_progress(session, workspace_id=ws, campaign_id=built.campaign_id)
    assert progress.deliveries == 0 and progress.audience == 0 and progress.eta_seconds == 0.0
    assert progress.percent_done == 0.0 and [v.deliveries for v in progress.variants] == [0]
