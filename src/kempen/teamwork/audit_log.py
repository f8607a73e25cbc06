"""The audit log as admins read it: entries filtered by entity type, actor, action and dates; CSV export.

Entries are written by every service through `kempen.audit.service.record`; this module only reads.
Actors are stored as `user:ID`, `api_key:ID`, `system` or a CLI name; the log shows users by email
and API keys by name, looked up among the ids that occur on the page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kempen.kit.errors import InvalidInput
from kempen.kit.pagination import keyset_page
from kempen.models import ApiKey, AuditEntry, User

CSV_COLUMNS = ["id", "created_at", "actor", "actor_label", "action", "entity_type", "entity_id", "details"]
MAX_EXPORT = 100_000


@dataclass(frozen=True)
class AuditFilter:
    """What to show; empty fields do not filter. `action` ending in "." or "*" matches a prefix."""

    entity_type: str = ""
    entity_id: str = ""
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive: the whole day, UTC

    def check(self) -> None:
        if self.since and self.until and self.until < self.since:
            raise InvalidInput("The end date is before the start date.")


def _actor_key(session: Session, actor: str) -> str:
    """An actor as stored: an email becomes user:ID."""
    if "@" in actor:
        user_id = session.scalar(select(User.id).where(User.email == actor.strip().lower()))
        return f"user:{user_id}" if user_id is not None else actor
    return actor.strip()


def _statement(session: Session, workspace_id: int, where: AuditFilter) -> Select[AuditEntry]:
    where.check()
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if where.entity_type:
        stmt = stmt.where(AuditEntry.entity_type == where.entity_type.strip())
    if where.entity_id:
        stmt = stmt.where(AuditEntry.entity_id == where.entity_id.strip())
    if where.actor:
        stmt = stmt.where(AuditEntry.actor == _actor_key(session, where.actor))
    action = where.action.strip()
    if action.endswith(("*", ".")):
        stmt = stmt.where(AuditEntry.action.startswith(action.rstrip("*"), autoescape=True))
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    if where.since:
        stmt = stmt.where(AuditEntry.created_at >= datetime.combine(where.since, time(), tzinfo=UTC))
    if where.until and where.until < date.max:  # the last day there is has no end to compare with
        stmt = stmt.where(AuditEntry.created_at < datetime.combine(where.until + timedelta(days=1), time(), tzinfo=UTC))
    return stmt


def list_entries(session: Session, *, workspace_id: int, where: AuditFilter, cursor: str | None = None,
                 limit: int = 50) -> tuple[list[AuditEntry], str | None]:
    """One page of the workspace's audit entries, newest first."""
    return keyset_page(session, _statement(session, workspace_id, where), AuditEntry.id, cursor=cursor, limit=limit)


def actor_labels(session: Session, *, workspace_id: int, entries: list[AuditEntry]) -> dict[str, str]:
    """A readable name for each actor of `entries`: a user's email, an API key's name."""
    user_ids = {int(e.actor[5:]) for e in entries if e.actor.startswith("user:") and e.actor[5:].isdigit()}
    key_ids = {int(e.actor[8:]) for e in entries if e.actor.startswith("api_key:") and e.actor[8:].isdigit()}
    labels: dict[str, str] = {}
    if user_ids:
        for uid, email in session.execute(select(User.id, User.email).where(User.id.in_(user_ids))):
            labels[f"user:{uid}"] = email
    if key_ids:
        stmt = select(ApiKey.id, ApiKey.name).where(ApiKey.workspace_id == workspace_id, ApiKey.id.in_(key_ids))
        for kid, name in session.execute(stmt):
            labels[f"api_key:{kid}"] = f"API key “{name}”"
    return labels


def entity_types(session: Session, *, workspace_id: int) -> list[str]:
    """The entity types that occur in the workspace's log, for the filter's choices."""
    stmt = select(AuditEntry.entity_type).where(AuditEntry.workspace_id == workspace_id).distinct()
    return sorted(session.scalars(stmt))


def _csv_text(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(session: Session, *, workspace_id: int, where: AuditFilter) -> Iterator[str]:
    """The matching entries as CSV lines (header first), newest first, at most MAX_EXPORT."""
    stmt = _statement(session, workspace_id, where).order_by(AuditEntry.id.desc()).limit(MAX_EXPORT)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for chunk in _chunks(list(session.scalars(stmt)), 500):
        labels = actor_labels(session, workspace_id=workspace_id, entries=chunk)
        buffer.seek(0)
        buffer.truncate()
        for e in chunk:
            writer.writerow([e.id, e.created_at.isoformat(), _csv_text(e.actor), _csv_text(labels.get(e.actor, "")),
                             _csv_text(e.action), _csv_text(e.entity_type), _csv_text(e.entity_id),
                             _csv_text(json.dumps(e.details, ensure_ascii=False, sort_keys=True, default=str))])
        yield buffer.getvalue()


def _chunks(items: list[AuditEntry], size: int) -> Iterator[list[AuditEntry]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
