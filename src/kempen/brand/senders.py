"""Sender identities: the named From/Reply-To pairs a message picks, and who a message is finally sent from."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand.kit_schemas import SenderIdentityCreate, SenderIdentityUpdate
from kempen.contacts.schemas import normalise_email
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import Campaign, CampaignMessage, CampaignStatus, SenderIdentity, WorkspaceSendSettings

# A campaign in one of these may still send: its messages' identities must stay.
UNFINISHED = (CampaignStatus.DRAFT, CampaignStatus.IN_REVIEW, CampaignStatus.APPROVED, CampaignStatus.SCHEDULED,
              CampaignStatus.RUNNING, CampaignStatus.PAUSED)
_LIMITS = {"label": 120, "from_name": 200}


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


# Managing identities

def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _checked_text(value: str, field: str) -> str:
    value = value.strip()
    if not value or len(value) > _LIMITS[field] or any(ch in value for ch in "\r\n\0"):
        raise _bad(field, f"give one line of 1 to {_LIMITS[field]} characters.")
    return value


def _checked_email(value: str, field: str) -> str:
    try:
        return normalise_email(value)
    except ValueError as exc:
        raise _bad(field, f"{exc}.") from None


def _checked(given: dict[str, Any]) -> dict[str, Any]:
    """The given fields, checked and normalised (reply_to "" or None: none)."""
    checked: dict[str, Any] = {}
    for field, value in given.items():
        if field in _LIMITS:
            checked[field] = _checked_text(value, field)
        elif field == "from_email":
            checked[field] = _checked_email(value, field)
        elif field == "reply_to":
            checked[field] = _checked_email(value, field) if value else None
        else:
            checked[field] = bool(value)
    return checked


def list_identities(session: Session, *, workspace_id: int) -> list[SenderIdentity]:
    """The workspace's identities, the default first, then by label."""
    return list(session.scalars(select(SenderIdentity).where(SenderIdentity.workspace_id == workspace_id)
                                .order_by(SenderIdentity.is_default.desc(), SenderIdentity.label)))


def get_identity_or_raise(session: Session, *, workspace_id: int, identity_id: int) -> SenderIdentity:
    """Return the workspace's identity, or NotFound."""
    identity = get_identity(session, workspace_id=workspace_id, identity_id=identity_id)
    if identity is None:
        raise NotFound(f"Sender identity {identity_id} not found.")
    return identity


def _check_label_free(session: Session, workspace_id: int, label: str, identity_id: int | None = None) -> None:
    taken = session.scalar(select(SenderIdentity.id).where(SenderIdentity.workspace_id == workspace_id,
                                                           SenderIdentity.label == label))
    if taken is not None and taken != identity_id:
        raise Conflict(f"The workspace already has a sender identity labelled {label!r}.")


def _make_only_default(session: Session, workspace_id: int, identity: SenderIdentity) -> None:
    """Unset every other default in the same transaction, so there is at most one."""
    session.execute(update(SenderIdentity).where(SenderIdentity.workspace_id == workspace_id,
                                                 SenderIdentity.id != identity.id,
                                                 SenderIdentity.is_default.is_(True))
                    .values(is_default=False).execution_options(synchronize_session="fetch"))
    identity.is_default = True


def create_identity(session: Session, *, workspace_id: int, actor: str,
                    data: SenderIdentityCreate) -> SenderIdentity:
    """Add a sender identity; 409 when its label is taken."""
    fields = _checked(data.model_dump())
    _check_label_free(session, workspace_id, fields["label"])
    identity = SenderIdentity(workspace_id=workspace_id, **{**fields, "is_default": False})
    session.add(identity)
    session.flush()
    if fields["is_default"]:
        _make_only_default(session, workspace_id, identity)
        session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="sender_identity.created",
                 entity_type="sender_identity", entity_id=identity.id, details=fields)
    return identity


def update_identity(session: Session, *, workspace_id: int, actor: str, identity_id: int,
                    data: SenderIdentityUpdate) -> SenderIdentity:
    """Change the given fields; is_default true makes it the only default, false leaves none."""
    identity = get_identity_or_raise(session, workspace_id=workspace_id, identity_id=identity_id)
    given = {key: value for key, value in data.model_dump(exclude_unset=True).items()
             if value is not None or key == "reply_to"}
    changes = {key: value for key, value in _checked(given).items() if getattr(identity, key) != value}
    if "label" in changes:
        _check_label_free(session, workspace_id, changes["label"], identity.id)
    if changes.get("is_default"):
        _make_only_default(session, workspace_id, identity)
    for key, value in changes.items():
        setattr(identity, key, value)
    session.flush()
    if changes:
        audit.record(session, workspace_id=workspace_id, actor=actor, action="sender_identity.updated",
                     entity_type="sender_identity", entity_id=identity.id, details={"changes": changes})
    return identity


def campaigns_using(session: Session, *, workspace_id: int, identity_id: int) -> list[str]:
    """Names of the unfinished campaigns with a message sent from this identity."""
    return list(session.scalars(
        select(Campaign.name).distinct().join(CampaignMessage, CampaignMessage.campaign_id == Campaign.id)
        .where(Campaign.workspace_id == workspace_id, CampaignMessage.workspace_id == workspace_id,
               CampaignMessage.sender_identity_id == identity_id, Campaign.status.in_(UNFINISHED))
        .order_by(Campaign.name)))


def delete_identity(session: Session, *, workspace_id: int, actor: str, identity_id: int) -> None:
    """Remove an identity; 409 naming the campaigns when one that may still send uses it."""
    identity = get_identity_or_raise(session, workspace_id=workspace_id, identity_id=identity_id)
    using = campaigns_using(session, workspace_id=workspace_id, identity_id=identity_id)
    if using:
        names = ", ".join(repr(name) for name in using[:10]) + (f" and {len(using) - 10} more" if len(using) > 10 else "")
        raise Conflict(f"Sender identity {identity.label!r} is used by campaigns that have not finished: {names}. "
                       "Choose another sender for their messages first.")
    # Finished campaigns keep their history; their messages simply no longer name the identity.
    session.execute(update(CampaignMessage).where(CampaignMessage.workspace_id == workspace_id,
                                                  CampaignMessage.sender_identity_id == identity_id)
                    .values(sender_identity_id=None).execution_options(synchronize_session="fetch"))
    session.delete(identity)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="sender_identity.deleted",
                 entity_type="sender_identity", entity_id=identity_id,
                 details={"label": identity.label, "from_email": identity.from_email})
