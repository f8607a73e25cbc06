"""Dispatch: only due batches of running campaigns, campaigns taking turns, committed before enqueued."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.control import launch_campaign, pause_campaign
from kempen.delivery.dispatch import queue_due_batches, unqueue
from kempen.kit.clock import utcnow
from kempen.models import BatchStatus, DeliveryBatch
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace

pytestmark = pytest.mark.usefixtures("parked")


@pytest.fixture
def batches_of_five(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KEMPEN_BATCH_SIZE", "5")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_running_campaigns_take_turns_and_only_due_batches_go(session: Session, batches_of_five: None) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 20)
    first, second, paused = (make_campaign(session, ws) for _ in range(3))
    for built in (first, second, paused):
        launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    pause_campaign(session, workspace_id=ws, campaign_id=paused.campaign_id, actor=ACTOR)
    session.commit()
    later = session.scalars(select(DeliveryBatch.id).where(DeliveryBatch.campaign_id == second.campaign_id)
                            .order_by(DeliveryBatch.id).limit(1)).one()
    session.execute(update(DeliveryBatch).where(DeliveryBatch.id == later)
                    .values(not_before=utcnow() + timedelta(minutes=5)))  # a deferred batch waits
    session.commit()
    seen: list[Sequence[int]] = []

    def enqueue(ids: Sequence[int]) -> None:
        with get_session_factory()() as other:  # the ids are committed before they are enqueued
            assert set(other.scalars(select(DeliveryBatch.status).where(DeliveryBatch.id.in_(ids)))) == {
                BatchStatus.QUEUED}
        seen.append(ids)

    picked = queue_due_batches(get_session_factory(), enqueue=enqueue, limit=4)
    campaigns = dict(session.execute(select(DeliveryBatch.id, DeliveryBatch.campaign_id)
                                     .where(DeliveryBatch.id.in_(picked))).all())
    assert sorted(campaigns.values()) == sorted([first.campaign_id] * 2 + [second.campaign_id] * 2)
    assert later not in picked and seen == [picked]
    rest = queue_due_batches(get_session_factory(), enqueue=enqueue, limit=100)
    assert len(rest) == 3  # 4 + 4 batches, one deferred
    assert queue_due_batches(get_session_factory(), enqueue=enqueue, limit=100) == []
    assert unqueue(get_session_factory(), rest) == 3
    assert sorted(queue_due_batches(get_session_factory(), enqueue=enqueue, limit=100)) == sorted(rest)
