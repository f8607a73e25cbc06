"""Site keys: the public identifier a website's conversion snippet sends to name its workspace.

Not a secret (it is in every page's HTML): it only says which workspace a browser conversion is for.
What ties a conversion to a contact is the signed click id, which a visitor cannot forge.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.models import WorkspaceTrackingSettings
from kempen.tracking.settings import get_tracking_settings

# 18 random bytes: 24 URL-safe characters.
_KEY_BYTES = 18


def _new_key() -> str:
    return secrets.token_urlsafe(_KEY_BYTES)


def get_site_key(session: Session, *, workspace_id: int) -> str:
    """Return the workspace's site key, generating it on first use."""
    row = get_tracking_settings(session, workspace_id=workspace_id)
    if row.site_key:
        return row.site_key
    # Two first uses at once: only the update that still sees NULL writes; both then read the winner.
    session.execute(update(WorkspaceTrackingSettings)
                    .where(WorkspaceTrackingSettings.workspace_id == workspace_id,
                           WorkspaceTrackingSettings.site_key.is_(None))
                    .values(site_key=_new_key()).execution_options(synchronize_session=False))
    session.refresh(row)
    assert row.site_key
    return row.site_key


def rotate_site_key(session: Session, *, workspace_id: int, actor: str) -> str:
    """Replace the site key (pages with the old key stop recording conversions until updated)."""
    row = get_tracking_settings(session, workspace_id=workspace_id)
    row.site_key = _new_key()
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="tracking.site_key_rotated",
                 entity_type="workspace", entity_id=workspace_id)
    return row.site_key


def workspace_for_site_key(session: Session, site_key: str) -> int | None:
    """The workspace a site key belongs to, or None."""
    if not site_key or len(site_key) > 40:
        return None
    return session.scalar(select(WorkspaceTrackingSettings.workspace_id)
                          .where(WorkspaceTrackingSettings.site_key == site_key))
