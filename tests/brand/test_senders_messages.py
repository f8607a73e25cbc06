"""A message's sender identity: set and cleared on create/update, refused from another workspace, withdraws approval."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.campaigns import messages, schemas
from kempen.kit.errors import InvalidInput
from kempen.models import CampaignMessage, CampaignStatus, Channel, Role, SenderIdentity
from tests.campaigns.conftest import World, fresh_world, make_world
from tests.conftest import Tenant


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


def _identity(world: World, label: str = "Support") -> int:
    identity = SenderIdentity(workspace_id=world.id, label=label, from_name="Support",
                              from_email="support@shop.example.com")
    world.session.add(identity)
    world.session.flush()
    return identity.id


def _message_of(world: World, campaign_id: int) -> CampaignMessage:
    return world.session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == campaign_id)).one()


def test_a_new_message_names_its_identity(world: World) -> None:
    identity_id = _identity(world)
    campaign = world.campaign(ready=False)
    message = messages.add_message(world.session, workspace_id=world.id, actor="m", campaign_id=campaign.id,
                                   data=schemas.MessageCreate(channel=Channel.EMAIL, sender_identity_id=identity_id))
    assert message.sender_identity_id == identity_id


def test_update_sets_and_clears_the_identity(world: World) -> None:
    identity_id = _identity(world)
    campaign = world.campaign()
    message = _message_of(world, campaign.id)
    update = {"workspace_id": world.id, "actor": "m", "campaign_id": campaign.id, "message_id": message.id}
    messages.update_message(world.session, **update, data=schemas.MessageUpdate(sender_identity_id=identity_id))
    assert message.sender_identity_id == identity_id
    messages.update_message(world.session, **update, data=schemas.MessageUpdate(name="Renamed"))
    assert message.sender_identity_id == identity_id  # left out: kept
    messages.update_message(world.session, **update,
                            data=schemas.MessageUpdate.model_validate({"sender_identity_id": None}))
    assert message.sender_identity_id is None


def test_an_identity_of_another_workspace_is_a_422(session: Session, world: World) -> None:
    foreign = _identity(fresh_world(session))
    campaign = world.campaign()
    message = _message_of(world, campaign.id)
    with pytest.raises(InvalidInput, match="sender_identity_id: the workspace has no sender identity"):
        messages.update_message(world.session, workspace_id=world.id, actor="m", campaign_id=campaign.id,
                                message_id=message.id, data=schemas.MessageUpdate(sender_identity_id=foreign))
    with pytest.raises(InvalidInput):
        messages.add_message(world.session, workspace_id=world.id, actor="m", campaign_id=campaign.id,
                             data=schemas.MessageCreate(channel=Channel.EMAIL, sender_identity_id=foreign))


def test_changing_the_identity_of_an_approved_campaign_withdraws_the_approval(world: World) -> None:
    identity_id = _identity(world)
    campaign = world.campaign(status=CampaignStatus.APPROVED)
    message = _message_of(world, campaign.id)
    messages.update_message(world.session, workspace_id=world.id, actor="m", campaign_id=campaign.id,
                            message_id=message.id, data=schemas.MessageUpdate(sender_identity_id=identity_id))
    world.session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT


def test_the_api_takes_an_identity_and_refuses_another_workspaces(session: Session, tenant: Tenant,
                                                                  other_tenant: Tenant) -> None:
    world = make_world(session, tenant.id, tenant.workspace.slug)
    mine = _identity(world)
    foreign = _identity(make_world(session, other_tenant.id, other_tenant.workspace.slug), "Foreign")
    session.commit()
    campaign = world.campaign(ready=False)
    path = f"/api/v1/campaigns/{campaign.id}/messages"
    headers = tenant.headers(Role.MARKETER)
    created = tenant.client.post(path, json={"channel": "email", "sender_identity_id": mine}, headers=headers)
    assert created.status_code == 201, created.text
    message_id = created.json()["id"]
    refused = tenant.client.patch(f"{path}/{message_id}", json={"sender_identity_id": foreign}, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "no sender identity" in refused.json()["detail"]
    assert tenant.client.patch(f"{path}/{message_id}", json={"sender_identity_id": 0},
                               headers=headers).status_code == 422
    cleared = tenant.client.patch(f"{path}/{message_id}", json={"sender_identity_id": None}, headers=headers)
    assert cleared.status_code == 200
    session.expire_all()
    assert session.get_one(CampaignMessage, message_id).sender_identity_id is None


def test_the_api_shows_the_identity_and_a_duplicate_keeps_it(session: Session, tenant: Tenant) -> None:
    world = make_world(session, tenant.id, tenant.workspace.slug)
    identity_id = _identity(world)
    campaign = world.campaign(ready=False)
    session.commit()
    headers = tenant.headers(Role.MARKETER)
    path = f"/api/v1/campaigns/{campaign.id}/messages"
    created = tenant.client.post(path, json={"channel": "email", "sender_identity_id": identity_id}, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["sender_identity_id"] == identity_id
    copy = tenant.client.post(f"/api/v1/campaigns/{campaign.id}/duplicate", headers=headers)
    assert copy.status_code == 201, copy.text
    session.expire_all()
    copied = session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == copy.json()["id"])).all()
    assert [m.sender_identity_id for m in copied] == [identity_id]
