"""A workspace's sending defaults and audience rules: sender, postal address, frequency cap, quiet hours."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import schemas
from kempen.contacts.schemas import normalise_email
from kempen.kit.errors import InvalidInput
from kempen.kit.sql import get_or_create_settings_row
from kempen.models import WorkspaceSendSettings

_PLAIN_FIELDS = ("from_name", "postal_address", "frequency_cap_count", "frequency_cap_days", "require_approval")


def get_send_settings(session: Session, *, workspace_id: int) -> WorkspaceSendSettings:
    """Return the workspace's send settings, creating the defaults row on first use."""
    return get_or_create_settings_row(session, WorkspaceSendSettings, workspace_id)


def checked_email(value: str, what: str) -> str:
    """An address as typed (trimmed), or InvalidInput naming the field."""
    try:
        normalise_email(value)
    except ValueError as exc:
        raise InvalidInput(f"{what}: {exc}.", errors=[{"field": what, "message": str(exc)}]) from None
    return value.strip()


def checked_name(value: str, what: str) -> str:
    """A sender's display name: one line (it goes into a mail header)."""
    if any(ch in value for ch in "\r\n\0"):
        raise InvalidInput(f"{what}: must be one line of text.", errors=[{"field": what, "message": "line break"}])
    return value.strip()


def checked_time_zone(name: str) -> str:
    """An IANA time zone name, or InvalidInput."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"default_time_zone: unknown time zone {name!r}; use an IANA name such as "
                           "'Europe/Amsterdam' or 'UTC'.",
                           errors=[{"field": "default_time_zone", "message": "unknown time zone"}]) from None
    return name


def _changes(data: schemas.SendSettingsUpdate) -> dict[str, Any]:
    given = data.model_dump(exclude_unset=True)
    changes = {key: given[key] for key in _PLAIN_FIELDS if given.get(key) is not None}
    if "from_name" in changes:
        changes["from_name"] = checked_name(changes["from_name"], "from_name")
    if given.get("from_email") is not None:
        changes["from_email"] = checked_email(given["from_email"], "from_email") if given["from_email"] else ""
    if "reply_to" in given:
        changes["reply_to"] = checked_email(given["reply_to"], "reply_to") if given["reply_to"] else None
    for key in ("quiet_hours_start", "quiet_hours_end"):
        if given.get(key) is not None:
            changes[key] = data.minutes(given[key])
    if given.get("default_time_zone") is not None:
        changes["default_time_zone"] = checked_time_zone(given["default_time_zone"])
    return changes


def update_send_settings(session: Session, *, workspace_id: int, actor: str,
                         data: schemas.SendSettingsUpdate) -> WorkspaceSendSettings:
    """Change the given settings (fields left out keep their value)."""
    row = get_send_settings(session, workspace_id=workspace_id)
    changes = {key: value for key, value in _changes(data).items() if getattr(row, key) != value}
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    if changes:
        audit.record(session, workspace_id=workspace_id, actor=actor, action="send_settings.updated",
                     entity_type="workspace_send_settings", entity_id=workspace_id, details={"changes": changes})
    return row


def send_settings_out(row: WorkspaceSendSettings) -> schemas.SendSettings:
    """The API shape: quiet hours as HH:MM."""
    return schemas.SendSettings(
        from_name=row.from_name, from_email=row.from_email, reply_to=row.reply_to,
        postal_address=row.postal_address, frequency_cap_count=row.frequency_cap_count,
        frequency_cap_days=row.frequency_cap_days, quiet_hours_start=schemas.hh_mm(row.quiet_hours_start),
        quiet_hours_end=schemas.hh_mm(row.quiet_hours_end), default_time_zone=row.default_time_zone,
        require_approval=row.require_approval, updated_at=row.updated_at)
