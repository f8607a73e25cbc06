"""Unsubscribe links: one signed URL per email, and what happens when someone uses it.

The token names the workspace, contact, channel, campaign and delivery, so the link works without
a login and without revealing (or looking up) an address. `unsubscribe_by_token` is idempotent:
a second click, a mail scanner replaying the POST, or a one-click from the mail client after the
form, all leave one unsubscribe behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.config import get_settings
from kempen.contacts.service import get_contact_or_raise
from kempen.crm.suppressions import unsubscribe_contact
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import Channel, Consent, ConsentStatus, Delivery, TouchKind, TrackingEvent, Workspace
from kempen.tracking.tokens import UNSUBSCRIBE, read_token, sign_json


@dataclass(frozen=True, slots=True)
class UnsubscribeToken:
    workspace_id: int
    contact_id: int
    channel: Channel
    campaign_id: int | None
    delivery_id: int | None


@dataclass(frozen=True, slots=True)
class UnsubscribeOutcome:
    """What an unsubscribe did: `contact_found` False when the contact no longer exists."""

    token: UnsubscribeToken
    contact_found: bool
    already_unsubscribed: bool


def unsubscribe_url(*, workspace_id: int, contact_id: int, channel: Channel, campaign_id: int | None,
                    delivery_id: int | None) -> str:
    """The absolute unsubscribe URL for one message (`<base_url>/u/<token>`)."""
    # Once per email: the compact JSON is written directly (ints and an enum value need no escaping).
    payload = f'{{"w":{int(workspace_id)},"c":{int(contact_id)},"h":"{channel.value}"'
    if campaign_id is not None:
        payload += f',"k":{int(campaign_id)}'
    if delivery_id is not None:
        payload += f',"d":{int(delivery_id)}'
    return f"{get_settings().base_url.rstrip('/')}/u/{sign_json(UNSUBSCRIBE, payload + '}')}"


def preferences_url_from(unsubscribe_link: str) -> str:
    """The preference-centre URL for the same contact: the same signed token under `/p/`."""
    base, _, token = unsubscribe_link.rpartition("/u/")
    return f"{base}/p/{token}"


def _int(value: object) -> int:
    if type(value) is not int or value <= 0:
        raise InvalidInput("This link is not valid: it may be incomplete or altered.")
    return value


def verify_unsubscribe_token(token: str) -> UnsubscribeToken:
    """The contents of a genuine unsubscribe token; InvalidInput for a forged, altered or foreign one."""
    payload = read_token(UNSUBSCRIBE, token)
    try:
        channel = Channel(str(payload.get("h")))
    except ValueError:
        raise InvalidInput("This link is not valid: it may be incomplete or altered.") from None
    campaign, delivery = payload.get("k"), payload.get("d")
    return UnsubscribeToken(workspace_id=_int(payload.get("w")), contact_id=_int(payload.get("c")),
                            channel=channel, campaign_id=None if campaign is None else _int(campaign),
                            delivery_id=None if delivery is None else _int(delivery))


def sender_name(session: Session, token: UnsubscribeToken) -> str:
    """Who the person unsubscribes from, for the confirmation page (the workspace's name)."""
    workspace = session.get(Workspace, token.workspace_id)
    return workspace.name if workspace is not None else ""


def unsubscribe_by_token(session: Session, token: str, *, source: str) -> UnsubscribeOutcome:
    """Unsubscribe the token's contact from its channel (and suppress the address); idempotent.

    `source` says how (for instance "one_click" or "unsubscribe_page"); the audit entry names the
    campaign and delivery the link came from.
    """
    data = verify_unsubscribe_token(token)
    try:
        get_contact_or_raise(session, workspace_id=data.workspace_id, contact_id=data.contact_id)
    except NotFound:
        return UnsubscribeOutcome(token=data, contact_found=False, already_unsubscribed=False)
    consent = session.get(Consent, (data.contact_id, data.channel))
    if consent is not None and consent.status == ConsentStatus.UNSUBSCRIBED:
        return UnsubscribeOutcome(token=data, contact_found=True, already_unsubscribed=True)
    actor = f"contact:{data.contact_id}"
    unsubscribe_contact(session, workspace_id=data.workspace_id, actor=actor, contact_id=data.contact_id,
                        channel=data.channel, source=source)
    audit.record(session, workspace_id=data.workspace_id, actor=actor, action="unsubscribe.link_used",
                 entity_type="contact", entity_id=data.contact_id,
                 details={"channel": data.channel.value, "campaign_id": data.campaign_id,
                          "delivery_id": data.delivery_id, "source": source})
    record_unsubscribe_event(session, data, channel=data.channel, source=source)
    return UnsubscribeOutcome(token=data, contact_found=True, already_unsubscribed=False)


def record_unsubscribe_event(session: Session, data: UnsubscribeToken, *, channel: Channel, source: str) -> None:
    """Write the `unsubscribe` tracking event, with campaign, message and variant of the token's delivery."""
    delivery = None
    if data.delivery_id is not None:
        delivery = session.get(Delivery, data.delivery_id)
        if delivery is not None and (delivery.workspace_id, delivery.contact_id) != (data.workspace_id,
                                                                                      data.contact_id):
            delivery = None
    session.add(TrackingEvent(
        workspace_id=data.workspace_id, kind=TouchKind.UNSUBSCRIBE, occurred_at=utcnow(),
        campaign_id=delivery.campaign_id if delivery else None, message_id=delivery.message_id if delivery else None,
        variant_id=delivery.variant_id if delivery else None, delivery_id=delivery.id if delivery else None,
        contact_id=data.contact_id, channel=channel, detail={"source": source}))
    session.flush()
