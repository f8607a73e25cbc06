"""Sender identities: the named From/Reply-To pairs a message picks, and who a message is finally sent from."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import CampaignMessage, SenderIdentity, WorkspaceSendSettings


class Sender(NamedTuple):
    """Who an email is from, resolved."""

    from_name: str
    from_email: str
    reply_to: str | None


def get_identity(session: Session, *, workspace_id: int, identity_id: int) -> SenderIdentity | None:
    """Return the workspace's identity with this id, or None."""
    return session.scalar(select(SenderIdentity).where(SenderIdentity.workspace_id == workspace_id,
                                                       SenderIdentity.id == identity_id))


def default_identity(session: Session, *, workspace_id: int) -> SenderIdentity | None:
    """Return the workspace's default identity, or None."""
    return session.scalar(select(SenderIdentity).where(SenderIdentity.workspace_id == workspace_id,
                                                       SenderIdentity.is_default.is_(True))
                          .order_by(SenderIdentity.id).limit(1))


def resolve_sender(session: Session, *, workspace_id: int, message: CampaignMessage,
                   settings: WorkspaceSendSettings) -> Sender:
    """Who the message is from, field by field: its overrides, its identity, the default identity, the settings."""
    chosen = None
    if message.sender_identity_id is not None:
        chosen = get_identity(session, workspace_id=workspace_id, identity_id=message.sender_identity_id)
    fallback = default_identity(session, workspace_id=workspace_id)
    layers = [message, chosen, fallback, settings]

    def first(field: str) -> str | None:
        return next((value for layer in layers if layer is not None and (value := getattr(layer, field))), None)

    return Sender(from_name=first("from_name") or "", from_email=first("from_email") or "",
                  reply_to=first("reply_to"))
