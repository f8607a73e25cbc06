"""Change a workspace's tracking, attribution and cost settings (read with `tracking.settings`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.models import WorkspaceTrackingSettings
from kempen.reporting import schemas
from kempen.tracking.settings import get_tracking_settings


def update_tracking_settings(session: Session, *, workspace_id: int, actor: str,
                             data: schemas.TrackingSettingsUpdate) -> WorkspaceTrackingSettings:
    """Change the given settings (fields left out keep their value) and record what changed."""
    row = get_tracking_settings(session, workspace_id=workspace_id)
    given = {key: value for key, value in data.model_dump(exclude_unset=True).items() if value is not None}
    changes = {key: value for key, value in given.items() if getattr(row, key) != value}
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    if changes:
        audit.record(session, workspace_id=workspace_id, actor=actor, action="tracking_settings.updated",
                     entity_type="workspace_tracking_settings", entity_id=workspace_id,
                     details={"changes": _plain(changes)})
    return row


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    # Audit details are JSON: decimals and enums as text.
    return {key: value if isinstance(value, bool | int) else str(value) for key, value in changes.items()}


def tracking_settings_out(row: WorkspaceTrackingSettings) -> schemas.TrackingSettings:
    """The API shape of the settings row."""
    return schemas.TrackingSettings.model_validate(row)
