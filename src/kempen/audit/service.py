"""Record audit entries; every service that changes a record calls `record`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import AuditEntry


def record(
    session: Session,
    *,
    workspace_id: int,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: int | str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction."""
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        details=details or {},
    )
    session.add(entry)
    return entry


def list_for_entity(session: Session, *, workspace_id: int, entity_type: str, entity_id: int | str) -> list[AuditEntry]:
    """Return an entity's audit entries, newest first."""
    stmt = (
        select(AuditEntry)
        .where(
            AuditEntry.workspace_id == workspace_id,
            AuditEntry.entity_type == entity_type,
            AuditEntry.entity_id == str(entity_id),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )
    return list(session.scalars(stmt))
