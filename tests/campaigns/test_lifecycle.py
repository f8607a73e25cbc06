"""The status machine: every edge of ALLOWED_TRANSITIONS, approval, readiness, edits that withdraw approval."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from kempen.audit import service as audit
from kempen.campaigns import lifecycle, messages, schemas, service, settings
from kempen.kit.errors import Conflict
from kempen.models import ALLOWED_TRANSITIONS, EDITABLE_STATUSES, Campaign, CampaignStatus
from tests.campaigns.conftest import ACTOR, World, add_email, force_status, set_sender

S = CampaignStatus
EDGES = [(a, b) for a in S for b in S]
# Moves that skip review from a draft; refused when the workspace requires approval.
SKIPS_REVIEW = {(S.DRAFT, S.APPROVED), (S.DRAFT, S.SCHEDULED), (S.DRAFT, S.RUNNING)}


def moves(session: Session, workspace_id: int, campaign_id: int) -> list[tuple[str, str]]:
    entries = audit.list_for_entity(session, workspace_id=workspace_id, entity_type="campaign", entity_id=campaign_id)
    return [(e.details["from"], e.details["to"]) for e in reversed(entries) if e.action == lifecycle.STATUS_CHANGED]


@pytest.mark.parametrize(("current", "to"), EDGES, ids=[f"{a}->{b}" for a, b in EDGES])
def test_every_edge_of_the_table(world: World, current: CampaignStatus, to: CampaignStatus) -> None:
    campaign = world.campaign(status=current)
    if to in ALLOWED_TRANSITIONS[current]:
        moved = service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=to, actor=ACTOR)
        assert moved.status == to
        assert moves(world.session, world.id, campaign.id) == [(current.value, to.value)]
    else:
        with pytest.raises(Conflict, match="already" if current == to else "cannot become"):
            service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=to, actor=ACTOR)
        world.session.refresh(campaign)
        assert campaign.status == current
        assert moves(world.session, world.id, campaign.id) == []


@pytest.mark.parametrize(("current", "to"), sorted(SKIPS_REVIEW), ids=[f"{a}->{b}" for a, b in sorted(SKIPS_REVIEW)])
def test_approval_required_refuses_skipping_review(world: World, current: CampaignStatus,
                                                   to: CampaignStatus) -> None:
    set_sender(world.session, world.id, require_approval=True)
    campaign = world.campaign(status=current)
    with pytest.raises(Conflict, match="requires approval"):
        service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=to, actor=ACTOR)


def test_the_review_path_with_approval_required(world: World) -> None:
    set_sender(world.session, world.id, require_approval=True)
    campaign = world.campaign()
    lifecycle.submit_for_review(world.session, workspace_id=world.id, campaign_id=campaign.id, actor="marketer")
    lifecycle.request_changes(world.session, workspace_id=world.id, campaign_id=campaign.id, actor="admin",
                              comment="Subject is too long")
    assert campaign.status == S.DRAFT
    lifecycle.submit_for_review(world.session, workspace_id=world.id, campaign_id=campaign.id, actor="marketer")
    lifecycle.approve(world.session, workspace_id=world.id, campaign_id=campaign.id, actor="admin")
    scheduled = service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=S.SCHEDULED,
                                   actor="marketer")
    assert scheduled.status == S.SCHEDULED
    entries = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                    entity_id=campaign.id)
    changes = [e for e in entries if e.action == lifecycle.STATUS_CHANGED]
    assert [e.actor for e in reversed(changes)] == ["marketer", "admin", "marketer", "admin", "marketer"]
    [comment] = [e.details["comment"] for e in changes if "comment" in e.details]
    assert comment == "Subject is too long"


def test_approve_only_from_review_and_request_changes_only_before_launch(world: World) -> None:
    draft = world.campaign()
    with pytest.raises(Conflict, match="Only a campaign in review can be approved; this one is draft"):
        lifecycle.approve(world.session, workspace_id=world.id, campaign_id=draft.id, actor=ACTOR)
    running = world.campaign(status=S.RUNNING)
    with pytest.raises(Conflict, match="this one is running"):
        lifecycle.request_changes(world.session, workspace_id=world.id, campaign_id=running.id, actor=ACTOR,
                                  comment="no")


def test_moving_forward_needs_a_ready_campaign(world: World) -> None:
    campaign = world.campaign(ready=False)
    with pytest.raises(Conflict) as caught:
        lifecycle.submit_for_review(world.session, workspace_id=world.id, campaign_id=campaign.id, actor=ACTOR)
    assert caught.value.detail.startswith("The campaign is not ready: ")
    assert [e["message"] for e in caught.value.errors] == [
        "Choose a segment as the campaign's audience.", "Add at least one message.",
        "Add at least one measurable objective."]
    for to in (S.APPROVED, S.SCHEDULED, S.RUNNING):
        with pytest.raises(Conflict, match="not ready"):
            service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=to, actor=ACTOR)
    # Backward and sideways moves do not need it.
    assert service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=S.CANCELLED,
                              actor=ACTOR).status == S.CANCELLED


def test_readiness_names_every_problem(world: World) -> None:
    campaign = world.campaign(ready=False)
    service.update_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(segment_id=world.segment_id))
    message_id = add_email(world.session, world.id, campaign.id, variants=2)
    variant_b = service.message_detail(world.session, workspace_id=world.id, campaign_id=campaign.id,
                                       message_id=message_id).variants[1]
    messages.update_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            message_id=message_id, variant_id=variant_b.id,
                            data=schemas.VariantUpdate(split_percent=30, subject=""))
    messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                         data=schemas.MessageCreate(channel="sms"))
    settings.update_send_settings(world.session, workspace_id=world.id, actor=ACTOR,
                                  data=schemas.SendSettingsUpdate(from_email=""))
    problems = service.readiness_problems(world.session, workspace_id=world.id, campaign_id=campaign.id)
    assert problems == [
        "Message 'Email': the variants' splits add up to 80 %, not 100 %.",
        "Message 'Email' has no sender address: set one on the message or in the workspace's sending settings.",
        "Message 'Email', variant 'B' needs a subject.",
        "Message 'Sms' has no content: add a variant.",
    ]


def test_an_edit_of_an_approved_or_scheduled_campaign_sends_it_back_to_draft(world: World) -> None:
    for status in (S.APPROVED, S.SCHEDULED):
        campaign = world.campaign(status=status)
        world.session.execute(update(Campaign).where(Campaign.id == campaign.id)
                              .values(scheduled_at=datetime(2030, 1, 1, tzinfo=UTC)))
        service.update_campaign(world.session, workspace_id=world.id, actor="editor", campaign_id=campaign.id,
                                data=schemas.CampaignUpdate(holdout_percent=Decimal("10")))
        world.session.refresh(campaign)
        assert campaign.status == S.DRAFT and campaign.scheduled_at is None
        assert campaign.holdout_percent == Decimal("10")
        [entry] = [e for e in audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                                    entity_id=campaign.id) if e.action == lifecycle.STATUS_CHANGED]
        assert entry.actor == "editor" and entry.details["from"] == status.value and entry.details["to"] == "draft"
        assert "holdout_percent edited" in entry.details["reason"]


def test_renaming_keeps_the_approval_and_works_after_launch(world: World) -> None:
    approved = world.campaign(status=S.APPROVED)
    service.update_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=approved.id,
                            data=schemas.CampaignUpdate(name="Spring sale", description="2026"))
    assert approved.status == S.APPROVED and approved.name == "Spring sale"
    completed = world.campaign(status=S.COMPLETED)
    service.update_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=completed.id,
                            data=schemas.CampaignUpdate(description="sent on time"))
    assert completed.description == "sent on time"


@pytest.mark.parametrize("status", sorted(set(S) - EDITABLE_STATUSES))
def test_content_is_frozen_after_launch(world: World, status: CampaignStatus) -> None:
    campaign = world.campaign(status=status)
    message = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign.id).messages[0]
    with pytest.raises(Conflict, match=f"is {lifecycle.label(status)}: its content, audience and sending options"):
        service.update_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                data=schemas.CampaignUpdate(segment_id=None))
    with pytest.raises(Conflict, match="can change only before launch"):
        messages.update_variant(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                message_id=message.id, variant_id=message.variants[0].id,
                                data=schemas.VariantUpdate(subject="Changed"))
    with pytest.raises(Conflict, match="can change only before launch"):
        messages.delete_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                                message_id=message.id)


def test_unschedule_returns_to_where_scheduling_started(world: World) -> None:
    approved = world.campaign(status=S.APPROVED)
    service.transition(world.session, workspace_id=world.id, campaign_id=approved.id, to=S.SCHEDULED, actor=ACTOR)
    assert lifecycle.unschedule(world.session, workspace_id=world.id, campaign_id=approved.id,
                                actor=ACTOR).status == S.APPROVED
    draft = world.campaign()
    service.transition(world.session, workspace_id=world.id, campaign_id=draft.id, to=S.SCHEDULED, actor=ACTOR)
    unscheduled = lifecycle.unschedule(world.session, workspace_id=world.id, campaign_id=draft.id, actor=ACTOR)
    assert unscheduled.status == S.DRAFT and unscheduled.scheduled_at is None
    with pytest.raises(Conflict, match="not scheduled"):
        lifecycle.unschedule(world.session, workspace_id=world.id, campaign_id=draft.id, actor=ACTOR)


def test_launch_and_finish_times_are_stamped(world: World) -> None:
    campaign = world.campaign()
    service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=S.RUNNING, actor=ACTOR)
    assert campaign.launched_at is not None and campaign.finished_at is None
    service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=S.COMPLETED, actor=ACTOR)
    assert campaign.finished_at is not None


def test_a_move_made_meanwhile_wins_and_the_stale_one_is_refused(world: World) -> None:
    campaign = world.campaign(status=S.SCHEDULED)
    stale = sessionmaker(bind=world.session.get_bind(), expire_on_commit=False)()
    try:
        seen = service.get_campaign_or_raise(stale, workspace_id=world.id, campaign_id=campaign.id)
        assert seen.status == S.SCHEDULED
        # The scheduler launches it while someone still looks at the scheduled campaign.
        service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=S.RUNNING, actor="C")
        world.session.commit()
        with pytest.raises(Conflict, match="changed meanwhile .it is now running"):
            lifecycle.begin_edit(stale, seen, actor="editor", what="subject")
    finally:
        stale.rollback()
        stale.close()


def test_archive_and_the_final_state(world: World) -> None:
    campaign = world.campaign(status=S.CANCELLED)
    assert lifecycle.archive(world.session, workspace_id=world.id, campaign_id=campaign.id,
                             actor=ACTOR).status == S.ARCHIVED
    with pytest.raises(Conflict, match="can become: nothing"):
        service.transition(world.session, workspace_id=world.id, campaign_id=campaign.id, to=S.DRAFT, actor=ACTOR)
    force_status(world.session, campaign, S.RUNNING)
    with pytest.raises(Conflict, match="running cannot become archived"):
        lifecycle.archive(world.session, workspace_id=world.id, campaign_id=campaign.id, actor=ACTOR)
