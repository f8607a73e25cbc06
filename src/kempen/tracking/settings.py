"""A workspace's tracking, attribution and cost settings (read here; changed through `reporting.settings`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.sql import insert_ignoring_conflicts
from kempen.models import WorkspaceTrackingSettings


def get_tracking_settings(session: Session, *, workspace_id: int) -> WorkspaceTrackingSettings:
    """Return the workspace's tracking settings, creating the defaults row on first use."""
    stmt = select(WorkspaceTrackingSettings).where(WorkspaceTrackingSettings.workspace_id == workspace_id)
    found = session.scalar(stmt)
    if found is not None:
        return found
    # Two first uses at once must not collide: insert-if-absent, then read whichever row won.
    insert_ignoring_conflicts(session, WorkspaceTrackingSettings.__table__, [{"workspace_id": workspace_id}])
    created = session.scalar(stmt)
    assert created is not None
    return created
