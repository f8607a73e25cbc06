"""Who a message is from: overrides, then its identity, then the default identity, then the send settings."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.brand.senders import Sender, resolve_sender
from kempen.campaigns import settings
from kempen.models import CampaignMessage, SenderIdentity
from tests.campaigns.conftest import World, fresh_world


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


@pytest.fixture
def other(session: Session) -> World:
    return fresh_world(session)


def _identity(session: Session, workspace_id: int, label: str, *, default: bool = False,
              reply_to: str | None = None) -> SenderIdentity:
    identity = SenderIdentity(workspace_id=workspace_id, label=label, from_name=f"{label} team",
                              from_email=f"{label.lower()}@shop.example.com", reply_to=reply_to, is_default=default)
    session.add(identity)
    session.flush()
    return identity


def _message(world: World) -> CampaignMessage:
    campaign = world.campaign()
    return world.session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == campaign.id)).one()


def _resolve(world: World, message: CampaignMessage) -> Sender:
    return resolve_sender(world.session, workspace_id=world.id, message=message,
                          settings=settings.get_send_settings(world.session, workspace_id=world.id))


def test_without_identities_the_send_settings_apply(world: World) -> None:
    assert _resolve(world, _message(world)) == Sender("Shop", "news@shop.example.com", None)


def test_the_default_identity_comes_before_the_settings(world: World) -> None:
    _identity(world.session, world.id, "Newsletter", default=True)
    _identity(world.session, world.id, "Other")
    assert _resolve(world, _message(world)) == Sender("Newsletter team", "newsletter@shop.example.com", None)


def test_the_message_identity_comes_before_the_default_field_by_field(world: World) -> None:
    _identity(world.session, world.id, "Newsletter", default=True, reply_to="hello@shop.example.com")
    support = _identity(world.session, world.id, "Support")
    message = _message(world)
    message.sender_identity_id = support.id
    # Support has no Reply-To: the default identity's fills that one field.
    assert _resolve(world, message) == Sender("Support team", "support@shop.example.com", "hello@shop.example.com")


def test_the_message_overrides_come_first(world: World) -> None:
    support = _identity(world.session, world.id, "Support", reply_to="help@shop.example.com")
    message = _message(world)
    message.sender_identity_id = support.id
    message.from_name = "Jane at Shop"
    assert _resolve(world, message) == Sender("Jane at Shop", "support@shop.example.com", "help@shop.example.com")


def test_an_identity_of_another_workspace_is_ignored(world: World, other: World) -> None:
    foreign = _identity(other.session, other.id, "Foreign")
    message = _message(world)
    message.sender_identity_id = foreign.id
    assert _resolve(world, message) == Sender("Shop", "news@shop.example.com", None)
