"""When to recompute contact metrics: every workspace, every N minutes, one transaction per workspace."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kempen.kit.clock import utcnow
from kempen.models import ContactMetrics, Workspace
from kempen.segments.scoring import refresh_metrics

logger = logging.getLogger("kempen.segments.schedule")


def last_refresh(session: Session, workspace_id: int) -> datetime | None:
    """When the workspace's metrics were last recomputed (every row of one refresh shares its time)."""
    return session.scalar(select(ContactMetrics.computed_at).where(ContactMetrics.workspace_id == workspace_id)
                          .limit(1))


def refresh_due_metrics(factory: sessionmaker[Session], *, every: timedelta, last: dict[int, datetime],
                        now: datetime | None = None, should_stop: Callable[[], bool] = lambda: False) -> list[int]:
    """Recompute the metrics of each workspace last refreshed `every` ago or longer; return their ids.

    `last` remembers refresh times between rounds; a workspace not in it yet is looked up in the
    database, so a restarted server does not recompute everything at once.
    """
    now = now or utcnow()
    with factory() as session:
        workspace_ids = list(session.scalars(select(Workspace.id).order_by(Workspace.id)))
        for workspace_id in workspace_ids:
            if workspace_id not in last and (seen := last_refresh(session, workspace_id)) is not None:
                last[workspace_id] = seen
    done = []
    for workspace_id in workspace_ids:
        if should_stop():
            break
        if workspace_id in last and now - last[workspace_id] < every:
            continue
        # A failing workspace waits for the next period rather than being retried in a tight loop.
        last[workspace_id] = now
        try:
            with factory() as session, session.begin():
                refresh_metrics(session, workspace_id=workspace_id, now=now)
            done.append(workspace_id)
        except Exception:
            logger.exception("metrics refresh failed for workspace %s", workspace_id)
    return done
