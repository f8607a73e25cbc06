"""A campaign's messages (one per channel and purpose) and their variants (A/B content with split percentages).

Every change checks the campaign may still be edited and withdraws an approval (`lifecycle.begin_edit`);
every template is compiled on save, so a broken one is refused here with its part and line.
"""

from __future__ import annotations

import string
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand.senders import Sender, get_identity, resolve_sender
from kempen.campaigns import schemas
from kempen.campaigns.content import Content, check_content, check_extra
from kempen.campaigns.lifecycle import begin_edit
from kempen.campaigns.repository import (
    get_campaign_or_raise,
    get_message_or_raise,
    get_variant_or_raise,
    variants_of,
)
from kempen.campaigns.settings import checked_email, checked_name, get_send_settings
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import Campaign, CampaignMessage, Channel, MessageVariant

_CONTENT_FIELDS = ("subject", "preheader", "html", "text", "body")
MAX_VARIANTS = 26


def _record(session: Session, campaign: Campaign, actor: str, action: str, details: dict[str, Any]) -> None:
    audit.record(session, workspace_id=campaign.workspace_id, actor=actor, action=action, entity_type="campaign",
                 entity_id=campaign.id, details=details)


def _senders(given: dict[str, Any]) -> dict[str, Any]:
    """Sender overrides as stored: empty means the workspace's default (None)."""
    senders: dict[str, Any] = {}
    for key in ("from_name", "from_email", "reply_to"):
        if key not in given:
            continue
        value = given[key] or None
        if value is not None:
            value = checked_name(value, key) if key == "from_name" else checked_email(value, key)
        senders[key] = value
    return senders


def _sender_identity(session: Session, workspace_id: int, given: dict[str, Any]) -> dict[str, Any]:
    """The sender identity as stored (None: the workspace's default); 422 for one the workspace does not have."""
    if "sender_identity_id" not in given:
        return {}
    identity_id = given["sender_identity_id"]
    if identity_id is not None and get_identity(session, workspace_id=workspace_id, identity_id=identity_id) is None:
        raise InvalidInput(f"sender_identity_id: the workspace has no sender identity {identity_id}.",
                           errors=[{"field": "sender_identity_id", "message": "unknown sender identity"}])
    return {"sender_identity_id": identity_id}


def _free_message_name(session: Session, campaign: Campaign, wanted: str | None, channel: Channel,
                       message_id: int | None = None) -> str:
    taken = dict(session.execute(select(CampaignMessage.name, CampaignMessage.id).where(
        CampaignMessage.workspace_id == campaign.workspace_id, CampaignMessage.campaign_id == campaign.id)).all())
    if wanted is not None:
        if wanted in taken and taken[wanted] != message_id:
            raise Conflict(f"The campaign already has a message named {wanted!r}.")
        return wanted
    base = channel.value.replace("_", " ").capitalize()
    return next(name for n in range(1, len(taken) + 2) if (name := base if n == 1 else f"{base} {n}") not in taken)


def add_message(session: Session, *, workspace_id: int, actor: str, campaign_id: int,
                data: schemas.MessageCreate) -> CampaignMessage:
    """Add a message on a channel, with its first variants if given."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    name = _free_message_name(session, campaign, data.name, data.channel)
    senders = _senders(data.model_dump(include={"from_name", "from_email", "reply_to"}))
    senders |= _sender_identity(session, workspace_id, data.model_dump(include={"sender_identity_id"}))
    contents = [_checked(data.channel, v) for v in data.variants]
    begin_edit(session, campaign, actor=actor, what="messages")
    message = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign_id, channel=data.channel, name=name,
                              **senders)
    session.add(message)
    session.flush()
    splits = _initial_splits([v.split_percent for v in data.variants])
    names = _variant_names([v.name for v in data.variants])
    session.add_all([MessageVariant(workspace_id=workspace_id, campaign_id=campaign_id, message_id=message.id,
                                    name=vname, split_percent=split, **content)
                     for vname, split, content in zip(names, splits, contents, strict=True)])
    session.flush()
    _record(session, campaign, actor, "campaign.message_added",
            {"message_id": message.id, "channel": data.channel.value, "name": name, "variants": names})
    return message


def update_message(session: Session, *, workspace_id: int, actor: str, campaign_id: int, message_id: int,
                   data: schemas.MessageUpdate) -> CampaignMessage:
    """Rename a message or change its sender overrides or sender identity."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    given = data.model_dump(exclude_unset=True)
    changes = _senders(given) | _sender_identity(session, workspace_id, given)
    if given.get("name") is not None:
        changes["name"] = _free_message_name(session, campaign, given["name"], message.channel, message.id)
    changes = {key: value for key, value in changes.items() if getattr(message, key) != value}
    if not changes:
        return message
    begin_edit(session, campaign, actor=actor, what=f"message {message.name!r}")
    for key, value in changes.items():
        setattr(message, key, value)
    session.flush()
    _record(session, campaign, actor, "campaign.message_updated", {"message_id": message_id, "changes": changes})
    return message


def message_sender(session: Session, *, workspace_id: int, campaign_id: int,
                   message_id: int) -> tuple[int | None, Sender]:
    """The message's chosen sender identity (None: the default) and who it is sent from as things stand."""
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    settings = get_send_settings(session, workspace_id=workspace_id)
    return message.sender_identity_id, resolve_sender(session, workspace_id=workspace_id, message=message,
                                                      settings=settings)


def delete_message(session: Session, *, workspace_id: int, actor: str, campaign_id: int, message_id: int) -> None:
    """Remove a message with its variants."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    begin_edit(session, campaign, actor=actor, what="messages")
    session.execute(delete(MessageVariant).where(MessageVariant.workspace_id == workspace_id,
                                                 MessageVariant.message_id == message_id))
    session.delete(message)
    session.flush()
    _record(session, campaign, actor, "campaign.message_deleted", {"message_id": message_id, "name": message.name})


# Variants

def _checked(channel: Channel, data: schemas.VariantContent) -> dict[str, Any]:
    """The content fields to store, after compiling every template of the channel."""
    check_content(channel, Content(subject=data.subject, preheader=data.preheader, html=data.html,
                                   text=data.text, body=data.body))
    check_extra(data.content)
    return data.model_dump(include={*_CONTENT_FIELDS, "content"})


def _variant_names(wanted: list[str | None], taken: frozenset[str] = frozenset()) -> list[str]:
    """The names given, and the next free letters (A, B, …) for those left out."""
    given = [name for name in wanted if name]
    clash = next((name for i, name in enumerate(given) if name in taken or name in given[:i]), None)
    if clash is not None:
        raise Conflict(f"The message already has a variant named {clash!r}.")
    letters = iter([letter for letter in string.ascii_uppercase if letter not in taken | set(given)])
    names = []
    for name in wanted:
        name = name or next(letters, None)
        if name is None:
            raise InvalidInput(f"A message has at most {MAX_VARIANTS} variants.")
        names.append(name)
    return names


def _initial_splits(given: list[int | None]) -> list[int]:
    """Splits for new variants: the ones left out share what the given ones leave, evenly."""
    free = [i for i, split in enumerate(given) if split is None]
    rest = max(0, 100 - sum(split for split in given if split is not None))
    shares = _even(rest, len(free))
    splits = [split or 0 for split in given]
    for index, share in zip(free, shares, strict=True):
        splits[index] = max(1, share)
    return splits


def _even(total: int, parts: int) -> list[int]:
    """`total` in `parts` near-equal integers (the first ones get the remainder)."""
    if parts == 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def add_variant(session: Session, *, workspace_id: int, actor: str, campaign_id: int, message_id: int,
                data: schemas.VariantCreate) -> MessageVariant:
    """Add a variant; without a split, the message's variants are split evenly again."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    siblings = variants_of(session, workspace_id=workspace_id, message_id=message_id)
    if len(siblings) >= MAX_VARIANTS:
        raise InvalidInput(f"A message has at most {MAX_VARIANTS} variants.")
    name = _variant_names([data.name], frozenset(v.name for v in siblings))[0]
    content = _checked(message.channel, data)
    begin_edit(session, campaign, actor=actor, what=f"message {message.name!r}")
    variant = MessageVariant(workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id, name=name,
                             split_percent=data.split_percent or 100, **content)
    session.add(variant)
    if data.split_percent is None:
        for sibling, share in zip([*siblings, variant], _even(100, len(siblings) + 1), strict=True):
            sibling.split_percent = share
    session.flush()
    _record(session, campaign, actor, "campaign.variant_added",
            {"message_id": message_id, "variant_id": variant.id, "name": name,
             "splits": {v.name: v.split_percent for v in [*siblings, variant]}})
    return variant


def update_variant(session: Session, *, workspace_id: int, actor: str, campaign_id: int, message_id: int,
                   variant_id: int, data: schemas.VariantUpdate) -> MessageVariant:
    """Change a variant's name, split or content (templates are compiled before anything is saved)."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    variant = get_variant_or_raise(session, workspace_id=workspace_id, message_id=message_id, variant_id=variant_id)
    given = data.model_dump(exclude_unset=True)
    changes = {key: value for key, value in given.items()
               if (value is not None or key == "text") and getattr(variant, key) != value}
    if not changes:
        return variant
    if "name" in changes:
        siblings = {v.name for v in variants_of(session, workspace_id=workspace_id, message_id=message_id)}
        _variant_names([changes["name"]], frozenset(siblings - {variant.name}))
    merged = {**{key: getattr(variant, key) for key in _CONTENT_FIELDS}, **changes}
    check_content(message.channel, Content(**{key: merged[key] for key in _CONTENT_FIELDS}))
    if "content" in changes:
        check_extra(changes["content"])
    begin_edit(session, campaign, actor=actor, what=f"message {message.name!r}, variant {variant.name!r}")
    for key, value in changes.items():
        setattr(variant, key, value)
    session.flush()
    _record(session, campaign, actor, "campaign.variant_updated",
            {"message_id": message_id, "variant_id": variant_id, "fields": sorted(changes)})
    return variant


def delete_variant(session: Session, *, workspace_id: int, actor: str, campaign_id: int, message_id: int,
                   variant_id: int) -> None:
    """Remove a variant; a lone remaining variant takes the whole audience."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    message = get_message_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id, message_id=message_id)
    variant = get_variant_or_raise(session, workspace_id=workspace_id, message_id=message_id, variant_id=variant_id)
    begin_edit(session, campaign, actor=actor, what=f"message {message.name!r}")
    session.delete(variant)
    session.flush()
    remaining = variants_of(session, workspace_id=workspace_id, message_id=message_id)
    if len(remaining) == 1:
        remaining[0].split_percent = 100
        session.flush()
    _record(session, campaign, actor, "campaign.variant_deleted",
            {"message_id": message_id, "variant_id": variant_id, "name": variant.name})
