"""Edits that withdraw an approval: back to review where approval is required, to draft when no longer ready."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from kempen.audit import service as audit
from kempen.campaigns import lifecycle, messages, schemas, service
from kempen.models import Campaign, CampaignStatus, Role
from kempen.models.teamwork import Notification, NotificationKind
from kempen.planning import budgets
from kempen.planning.budgets import MonthlyBudgetSet
from kempen.teamwork import comments  # noqa: F401  (registers the reviewers' notification)
from tests.campaigns.conftest import World, set_sender
from tests.teamwork.conftest import add_user

S = CampaignStatus


def withdrawals(world: World, campaign_id: int) -> list[dict[str, str]]:
    entries = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                    entity_id=campaign_id)
    return [e.details for e in reversed(entries) if e.action == lifecycle.STATUS_CHANGED]


def scheduled(world: World, status: CampaignStatus) -> Campaign:
    campaign = world.campaign(status=status)
    world.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                          .values(scheduled_at=datetime(2030, 1, 1, tzinfo=UTC)))
    world.session.commit()
    return campaign


def first_variant(world: World, campaign: Campaign) -> tuple[int, int]:
    message = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id).messages[0]
    return message.id, message.variants[0].id


@pytest.mark.parametrize("status", [S.APPROVED, S.SCHEDULED])
def test_a_content_edit_sends_it_back_to_review_and_tells_the_reviewers(world: World, status: CampaignStatus) -> None:
    set_sender(world.session, world.id, require_approval=True)
    manager = add_user(world.session, world.id, Role.MANAGER, "Mo Man")
    campaign = scheduled(world, status)
    message_id, variant_id = first_variant(world, campaign)
    messages.update_variant(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                            message_id=message_id, variant_id=variant_id,
                            data=schemas.VariantUpdate(subject="A better subject"))
    world.session.commit()
    world.session.refresh(campaign)
    assert campaign.status == S.IN_REVIEW and campaign.scheduled_at is None
    [moved] = withdrawals(world, campaign.id)
    assert (moved["from"], moved["to"]) == (status.value, "in_review")
    assert "message 'Email', variant 'A' edited" in moved["reason"]
    [note] = world.session.scalars(select(Notification).where(Notification.workspace_id == world.id,
                                                              Notification.user_id == manager.id)).all()
    assert note.kind == NotificationKind.REVIEW_REQUESTED and note.link == f"/campaigns/{campaign.id}"
    assert "again" in note.title


def test_an_edit_that_leaves_it_unready_sends_it_to_draft_with_the_problems(world: World) -> None:
    set_sender(world.session, world.id, require_approval=True)
    campaign = scheduled(world, S.SCHEDULED)
    service.update_campaign(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(segment_id=None))
    assert campaign.status == S.IN_REVIEW  # until the unit of work commits
    world.session.commit()
    world.session.refresh(campaign)
    assert campaign.status == S.DRAFT and campaign.scheduled_at is None
    first, second = withdrawals(world, campaign.id)
    assert (first["from"], first["to"], second["from"], second["to"]) == (
        "scheduled", "in_review", "in_review", "draft")
    assert "segment_id edited and the campaign is no longer ready" in second["reason"]
    assert "segment" in second["reason"].split("ready:")[1].lower()
    assert world.session.scalars(select(Notification).where(Notification.workspace_id == world.id)).all() == []


def test_without_required_approval_an_edit_sends_it_to_draft(world: World) -> None:
    campaign = scheduled(world, S.APPROVED)
    service.update_campaign(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(holdout_percent=Decimal("10")))
    world.session.commit()
    world.session.refresh(campaign)
    assert campaign.status == S.DRAFT
    assert [(m["from"], m["to"]) for m in withdrawals(world, campaign.id)] == [("approved", "draft")]


def test_a_budget_change_goes_through_the_same_withdrawal(world: World) -> None:
    set_sender(world.session, world.id, require_approval=True)
    campaign = scheduled(world, S.SCHEDULED)
    budgets.set_monthly_budget(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                               data=MonthlyBudgetSet(channel="email", month=date(2030, 1, 1), amount=Decimal("50")))
    world.session.commit()
    world.session.refresh(campaign)
    assert campaign.status == S.IN_REVIEW and campaign.scheduled_at is None
    [moved] = withdrawals(world, campaign.id)
    assert moved["to"] == "in_review" and moved["reason"].startswith("The budget edited")


def test_a_rolled_back_edit_leaves_nothing_to_settle(world: World) -> None:
    set_sender(world.session, world.id, require_approval=True)
    campaign = scheduled(world, S.APPROVED)
    service.update_campaign(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(segment_id=None))
    world.session.rollback()
    world.session.commit()
    world.session.refresh(campaign)
    assert campaign.status == S.APPROVED and withdrawals(world, campaign.id) == []
