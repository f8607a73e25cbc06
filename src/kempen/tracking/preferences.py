"""The preference centre behind `/p/<token>` (the unsubscribe token): channels' consent and topics.

The signed token names the workspace and contact, so no login is needed; nothing here shows or
looks up an address. Unticking a channel unsubscribes it (consent, suppression, `unsubscribe`
event); ticking it again grants consent and lifts only an unsubscribe suppression (bounces and
complaints stay). Every change is audited with the contact as the actor.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kempen.contacts.service import get_contact_or_raise
from kempen.crm.consents import set_consent
from kempen.crm.suppressions import contact_address, unsubscribe_contact
from kempen.kit.errors import NotFound
from kempen.models import Channel, Consent, ConsentStatus, Suppression, SuppressionReason, Topic
from kempen.tracking import topics
from kempen.tracking.unsubscribe import (
    UnsubscribeToken,
    record_unsubscribe_event,
    sender_name,
    verify_unsubscribe_token,
)

CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.PUSH)
SOURCE = "preference_centre"


@dataclass(frozen=True)
class Preferences:
    """What the page shows: `found` False when the contact no longer exists."""

    token: UnsubscribeToken
    sender: str
    found: bool
    channels: list[tuple[Channel, bool]]
    topics: list[tuple[Topic, bool]]


def load_preferences(session: Session, token: str) -> Preferences:
    """The contact's channels and topics; InvalidInput for a forged or altered token."""
    data = verify_unsubscribe_token(token)
    sender = sender_name(session, data)
    try:
        get_contact_or_raise(session, workspace_id=data.workspace_id, contact_id=data.contact_id)
    except NotFound:
        return Preferences(token=data, sender=sender, found=False, channels=[], topics=[])
    consents = {c.channel: c.status for c in session.scalars(select(Consent).where(
        Consent.workspace_id == data.workspace_id, Consent.contact_id == data.contact_id))}
    return Preferences(
        token=data, sender=sender, found=True,
        channels=[(channel, consents.get(channel) == ConsentStatus.GRANTED) for channel in CHANNELS],
        topics=topics.contact_choices(session, workspace_id=data.workspace_id, contact_id=data.contact_id))


def _resubscribe(session: Session, data: UnsubscribeToken, channel: Channel, actor: str) -> None:
    set_consent(session, workspace_id=data.workspace_id, actor=actor, contact_id=data.contact_id, channel=channel,
                status=ConsentStatus.GRANTED, source=SOURCE)
    contact = get_contact_or_raise(session, workspace_id=data.workspace_id, contact_id=data.contact_id)
    address = contact_address(contact, channel)
    if address is not None:
        session.execute(delete(Suppression).where(
            Suppression.workspace_id == data.workspace_id, Suppression.channel == channel,
            Suppression.address == address, Suppression.reason == SuppressionReason.UNSUBSCRIBED))


def save_preferences(session: Session, token: str, *, channels: set[Channel], topic_ids: set[int],
                     everything_off: bool = False) -> Preferences:
    """Apply the form: ticked channels and topics on, the others off (all off for "unsubscribe from everything")."""
    current = load_preferences(session, token)
    if not current.found:
        return current
    data, actor = current.token, f"contact:{current.token.contact_id}"
    for channel, subscribed in current.channels:
        wanted = channel in channels and not everything_off
        if subscribed and not wanted:
            unsubscribe_contact(session, workspace_id=data.workspace_id, actor=actor, contact_id=data.contact_id,
                                channel=channel, source=SOURCE)
            record_unsubscribe_event(session, data, channel=channel, source=SOURCE)
        elif wanted and not subscribed:
            _resubscribe(session, data, channel, actor)
    for topic, subscribed in current.topics:
        wanted = topic.id in topic_ids and not everything_off
        if wanted != subscribed:
            topics.set_choice(session, workspace_id=data.workspace_id, actor=actor, contact_id=data.contact_id,
                              topic_id=topic.id, subscribed=wanted, source=SOURCE)
    return load_preferences(session, token)
