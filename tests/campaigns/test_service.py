"""Campaign CRUD: names, segments of the workspace, holdout, list pages and filters, delete, duplicate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from kempen.audit import service as audit
from kempen.campaigns import messages, schemas, service
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import CampaignMessage, CampaignStatus, MessageVariant
from tests.campaigns.conftest import ACTOR, World, add_email

S = CampaignStatus


def create(world: World, name: str, **fields: object) -> int:
    data = schemas.CampaignCreate(name=name, **fields)
    return service.create_campaign(world.session, workspace_id=world.id, actor=ACTOR, data=data).id


def test_create_read_and_audit(world: World) -> None:
    campaign_id = create(world, "Spring sale", segment_id=world.segment_id, holdout_percent=Decimal("12.5"))
    detail = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign_id)
    assert detail.status == S.DRAFT and detail.segment_name == "everyone" and detail.holdout_percent == 12.5
    assert detail.created_by == ACTOR and detail.messages == []
    [entry] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                    entity_id=campaign_id)
    assert entry.action == "campaign.created" and entry.actor == ACTOR


def test_names_are_unique_per_workspace(world: World, other: World) -> None:
    create(world, "Newsletter")
    with pytest.raises(Conflict, match="A campaign named 'Newsletter' already exists"):
        create(world, "Newsletter")
    create(other, "Newsletter")
    second = create(world, "Other")
    with pytest.raises(Conflict):
        service.update_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=second,
                                data=schemas.CampaignUpdate(name="Newsletter"))


def test_the_segment_must_be_the_workspaces(world: World, other: World) -> None:
    with pytest.raises(InvalidInput, match=f"No segment {other.segment_id} in this workspace") as caught:
        create(world, "x", segment_id=other.segment_id)
    assert caught.value.errors[0]["field"] == "segment_id"
    campaign_id = create(world, "y")
    with pytest.raises(InvalidInput):
        service.update_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign_id,
                                data=schemas.CampaignUpdate(segment_id=other.segment_id))


@pytest.mark.parametrize("holdout", ["-1", "50.01", "12.345"])
def test_holdout_is_0_to_50_percent_in_hundredths(holdout: str) -> None:
    with pytest.raises(ValidationError):
        schemas.CampaignCreate(name="x", holdout_percent=Decimal(holdout))


def test_other_workspaces_campaigns_are_not_found(world: World, other: World) -> None:
    campaign_id = create(other, "theirs")
    with pytest.raises(NotFound, match=f"No campaign {campaign_id} in this workspace"):
        service.campaign_detail(world.session, workspace_id=world.id, campaign_id=campaign_id)
    with pytest.raises(NotFound):
        service.delete_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign_id)


def test_list_pages_filters_and_search(world: World, other: World) -> None:
    ids = [create(world, name) for name in ("Summer 50% off", "Winter sale", "summer_news", "Autumn")]
    create(other, "Summer elsewhere")
    world.campaign(status=S.RUNNING, name="Running summer")
    page, cursor = service.list_campaigns(world.session, workspace_id=world.id, limit=2)
    assert [c.name for c in page] == ["Running summer", "Autumn"] and cursor
    rest, end = service.list_campaigns(world.session, workspace_id=world.id, cursor=cursor, limit=10)
    assert [c.id for c in rest] == [ids[2], ids[1], ids[0]] and end is None
    found, _ = service.list_campaigns(world.session, workspace_id=world.id, q="SUMMER")
    assert [c.name for c in found] == ["Running summer", "summer_news", "Summer 50% off"]
    # LIKE wildcards in the search are literal characters.
    assert [c.name for c in service.list_campaigns(world.session, workspace_id=world.id, q="50%")[0]] == [
        "Summer 50% off"]
    # "g_s" would find "Running summer" if "_" were a wildcard.
    assert [c.name for c in service.list_campaigns(world.session, workspace_id=world.id, q="g_s")[0]] == []
    running, _ = service.list_campaigns(world.session, workspace_id=world.id, status=S.RUNNING)
    assert [c.name for c in running] == ["Running summer"]
    world.campaign(status=S.ARCHIVED, name="Old summer")
    assert "Old summer" not in [c.name for c in service.list_campaigns(world.session, workspace_id=world.id)[0]]
    archived, _ = service.list_campaigns(world.session, workspace_id=world.id, status=S.ARCHIVED, q="summer")
    assert [c.name for c in archived] == ["Old summer"]


def test_list_rows_name_their_channels(world: World) -> None:
    campaign = world.campaign()
    messages.add_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                         data=schemas.MessageCreate(channel="sms"))
    [row] = service.campaign_summaries(world.session, workspace_id=world.id, campaigns=[campaign])
    assert row.channels == ["email", "sms"]


def test_only_drafts_are_deleted(world: World) -> None:
    draft = world.campaign()
    service.delete_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=draft.id)
    assert world.session.scalar(select(func.count()).select_from(CampaignMessage)
                                .where(CampaignMessage.campaign_id == draft.id)) == 0
    with pytest.raises(NotFound):
        service.get_campaign_or_raise(world.session, workspace_id=world.id, campaign_id=draft.id)
    assert [e.action for e in audit.list_for_entity(world.session, workspace_id=world.id, entity_type="campaign",
                                                    entity_id=draft.id)][0] == "campaign.deleted"
    hints = {S.IN_REVIEW: "request changes", S.SCHEDULED: "unschedule it", S.RUNNING: "cancel it",
             S.COMPLETED: "archive it instead"}
    for status, hint in hints.items():
        campaign = world.campaign(status=status)
        with pytest.raises(Conflict, match=f"Only draft campaigns can be deleted; this one is .*{hint}"):
            service.delete_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id)


def test_duplicate_copies_content_into_a_new_draft(world: World) -> None:
    source = world.campaign(name="Launch")
    add_email(world.session, world.id, source.id, variants=2)
    service.transition(world.session, workspace_id=world.id, campaign_id=source.id, to=S.RUNNING, actor=ACTOR)
    copy = service.duplicate_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=source.id)
    again = service.duplicate_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=source.id)
    assert (copy.name, again.name) == ("Launch (copy)", "Launch (copy 2)")
    assert copy.status == S.DRAFT and copy.launched_at is None and copy.segment_id == world.segment_id
    original = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=source.id)
    copied = service.campaign_detail(world.session, workspace_id=world.id, campaign_id=copy.id)
    assert [(m.name, m.channel, [(v.name, v.split_percent, v.subject, v.html) for v in m.variants])
            for m in copied.messages] == [
        (m.name, m.channel, [(v.name, v.split_percent, v.subject, v.html) for v in m.variants])
        for m in original.messages]
    assert {v.id for v in copied.messages[0].variants}.isdisjoint(v.id for v in original.messages[0].variants)
    assert service.readiness_problems(world.session, workspace_id=world.id, campaign_id=copy.id) == []


def test_a_long_name_still_gets_its_copy_suffix(world: World) -> None:
    source = world.campaign(name="x" * 200)
    copy = service.duplicate_campaign(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=source.id)
    assert len(copy.name) == 200 and copy.name.endswith(" (copy)")


def test_deleting_a_message_removes_its_variants(world: World) -> None:
    campaign = world.campaign()
    message_id = add_email(world.session, world.id, campaign.id, variants=2)
    messages.delete_message(world.session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            message_id=message_id)
    assert world.session.scalar(select(func.count()).select_from(MessageVariant)
                                .where(MessageVariant.message_id == message_id)) == 0
