"""Sender identity service: validation, unique labels, one default, deletion guarded by unfinished campaigns."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand import senders
from kempen.brand.kit_schemas import SenderIdentityCreate, SenderIdentityUpdate
from kempen.campaigns import messages, schemas
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import CampaignMessage, CampaignStatus
from tests.campaigns.conftest import World, force_status, fresh_world


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


def _create(world: World, label: str, **fields: object) -> int:
    data = SenderIdentityCreate(label=label, from_name=fields.pop("from_name", f"{label} team"),  # type: ignore[arg-type]
                                from_email=fields.pop("from_email", f"{label.lower()}@shop.example.com"),  # type: ignore[arg-type]
                                **fields)  # type: ignore[arg-type]
    return senders.create_identity(world.session, workspace_id=world.id, actor="admin", data=data).id


def _defaults(world: World) -> list[str]:
    return [i.label for i in senders.list_identities(world.session, workspace_id=world.id) if i.is_default]


def test_create_normalises_the_addresses_and_audits(world: World) -> None:
    identity_id = _create(world, "Support", from_email=" Help@Shop.Example.com ", reply_to="Desk@Shop.example.com")
    identity = senders.get_identity_or_raise(world.session, workspace_id=world.id, identity_id=identity_id)
    assert (identity.from_email, identity.reply_to) == ("help@shop.example.com", "desk@shop.example.com")
    [entry] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="sender_identity",
                                    entity_id=identity_id)
    assert entry.action == "sender_identity.created"


@pytest.mark.parametrize(("fields", "message"), [
    ({"from_email": "not an address"}, "from_email: invalid email"),
    ({"reply_to": "nope@"}, "reply_to: invalid email"),
    ({"from_name": "Evil\r\nBcc: x@y.z"}, "from_name: give one line"),
    ({"from_name": " "}, "from_name: give one line"),
])
def test_bad_fields_are_refused(world: World, fields: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _create(world, "Support", **fields)
    assert message in caught.value.detail


def test_a_label_is_unique_per_workspace(session: Session, world: World) -> None:
    _create(world, "Support")
    with pytest.raises(Conflict, match="already has a sender identity labelled 'Support'"):
        _create(world, "Support")
    other_id = _create(world, "News")
    with pytest.raises(Conflict):
        senders.update_identity(session, workspace_id=world.id, actor="a", identity_id=other_id,
                                data=SenderIdentityUpdate(label="Support"))
    _create(fresh_world(session), "Support")  # another workspace may use it


def test_there_is_at_most_one_default(world: World) -> None:
    first = _create(world, "First", is_default=True)
    _create(world, "Second", is_default=True)
    assert _defaults(world) == ["Second"]
    senders.update_identity(world.session, workspace_id=world.id, actor="a", identity_id=first,
                            data=SenderIdentityUpdate(is_default=True))
    assert _defaults(world) == ["First"]
    senders.update_identity(world.session, workspace_id=world.id, actor="a", identity_id=first,
                            data=SenderIdentityUpdate(is_default=False))
    assert _defaults(world) == []


def test_update_changes_only_what_is_given_and_clears_reply_to(world: World) -> None:
    identity_id = _create(world, "Support", reply_to="desk@shop.example.com")
    identity = senders.update_identity(world.session, workspace_id=world.id, actor="a", identity_id=identity_id,
                                       data=SenderIdentityUpdate(from_name="Help desk", reply_to=""))
    assert (identity.from_name, identity.from_email, identity.reply_to) == (
        "Help desk", "support@shop.example.com", None)
    [entry, _] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="sender_identity",
                                       entity_id=identity_id)
    assert entry.details["changes"] == {"from_name": "Help desk", "reply_to": None}


def test_another_workspace_cannot_reach_an_identity(session: Session, world: World) -> None:
    identity_id = _create(world, "Support")
    other = fresh_world(session)
    with pytest.raises(NotFound):
        senders.update_identity(session, workspace_id=other.id, actor="a", identity_id=identity_id,
                                data=SenderIdentityUpdate(label="Mine"))
    with pytest.raises(NotFound):
        senders.delete_identity(session, workspace_id=other.id, actor="a", identity_id=identity_id)
    assert senders.list_identities(session, workspace_id=other.id) == []


def _use(world: World, identity_id: int, status: CampaignStatus, name: str) -> CampaignMessage:
    campaign = world.campaign(name=name)
    [message] = [m for m in world.session.query(CampaignMessage).filter_by(campaign_id=campaign.id)]
    messages.update_message(world.session, workspace_id=world.id, actor="a", campaign_id=campaign.id,
                            message_id=message.id, data=schemas.MessageUpdate(sender_identity_id=identity_id))
    force_status(world.session, campaign, status)
    return message


@pytest.mark.parametrize("status", [CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.RUNNING,
                                    CampaignStatus.PAUSED])
def test_deleting_one_used_by_an_unfinished_campaign_is_refused(world: World, status: CampaignStatus) -> None:
    identity_id = _create(world, "Support")
    _use(world, identity_id, status, "Spring sale")
    with pytest.raises(Conflict, match="used by campaigns that have not finished: 'Spring sale'"):
        senders.delete_identity(world.session, workspace_id=world.id, actor="a", identity_id=identity_id)


def test_deleting_one_used_only_by_finished_campaigns_clears_their_messages(world: World) -> None:
    identity_id = _create(world, "Support")
    message = _use(world, identity_id, CampaignStatus.COMPLETED, "Old news")
    senders.delete_identity(world.session, workspace_id=world.id, actor="a", identity_id=identity_id)
    world.session.refresh(message)
    assert message.sender_identity_id is None
    assert senders.list_identities(world.session, workspace_id=world.id) == []
    [entry, *_] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="sender_identity",
                                        entity_id=identity_id)
    assert entry.action == "sender_identity.deleted"
