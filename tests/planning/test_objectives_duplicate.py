"""Duplicating a campaign copies its objectives that are still due; past deadlines are left out and counted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import service
from kempen.kit.clock import utcnow
from kempen.models import Objective, ObjectiveMetric
from tests.campaigns.conftest import ACTOR, World, fresh_world


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


def objective(world: World, campaign_id: int, deadline: date, **extra: object) -> None:
    world.session.add(Objective(workspace_id=world.id, campaign_id=campaign_id, deadline=deadline, **{
        "metric": ObjectiveMetric.CLICKS, "target": Decimal("50"), **extra}))
    world.session.flush()


def objectives_of(world: World, campaign_id: int) -> list[tuple[object, ...]]:
    return [tuple(row) for row in world.session.execute(
        select(Objective.metric, Objective.conversion_name, Objective.baseline, Objective.target, Objective.deadline,
               Objective.relevance).where(Objective.workspace_id == world.id, Objective.campaign_id == campaign_id)
        .order_by(Objective.id))]


def test_due_objectives_are_copied_and_past_ones_left_out(world: World) -> None:
    source = world.campaign()  # has a conversions objective due in 2100
    today = utcnow().date()
    objective(world, source.id, today, metric=ObjectiveMetric.NAMED_CONVERSION, conversion_name="sign_up",
              baseline=Decimal("10"), target=Decimal("40"), relevance="Spring matters")
    objective(world, source.id, today - timedelta(days=1))
    copy = service.copy_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=source.id)
    assert (copy.objectives_copied, copy.objectives_left_out) == (2, 1)
    assert objectives_of(world, copy.campaign.id) == objectives_of(world, source.id)[:2]
    [entry] = [e for e in audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                                entity_id=copy.campaign.id) if e.action == "campaign.duplicated"]
    assert (entry.details["objectives_copied"], entry.details["objectives_left_out"]) == (2, 1)
    assert len(objectives_of(world, source.id)) == 3  # the source keeps all of its own


def test_the_copy_of_a_campaign_without_objectives_has_none(world: World) -> None:
    source = world.campaign(ready=False)
    copy = service.copy_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=source.id)
    assert (copy.objectives_copied, copy.objectives_left_out) == (0, 0)
    assert objectives_of(world, copy.campaign.id) == []
