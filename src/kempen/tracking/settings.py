"""A workspace's tracking, attribution and cost settings (read here; changed through `reporting.settings`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.kit.sql import get_or_create_settings_row
from kempen.models import WorkspaceTrackingSettings


def get_tracking_settings(session: Session, *, workspace_id: int) -> WorkspaceTrackingSettings:
    """Return the workspace's tracking settings, creating the defaults row on first use."""
    return get_or_create_settings_row(session, WorkspaceTrackingSettings, workspace_id)
