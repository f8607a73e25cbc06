"""Scheduled starts: launch every SCHEDULED campaign whose time has come.

Safe on several hosts at once: the launch's move to RUNNING is a compare-and-set, so one host wins
and the others get a Conflict and skip. A campaign that can no longer launch (its template broke, its
segment was deleted) goes back to draft with the reason in its audit trail, rather than being
retried every second.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kempen.campaigns.service import get_campaign_or_raise, transition
from kempen.delivery.control import launch_campaign
from kempen.kit.clock import utcnow
from kempen.kit.errors import KempenError
from kempen.models import Campaign, CampaignStatus

logger = logging.getLogger("kempen.delivery.scheduler")
SCHEDULER_ACTOR = "scheduler"


def due_campaigns(session: Session, *, now: datetime, limit: int = 20) -> list[tuple[int, int]]:
    """(workspace id, campaign id) of scheduled campaigns due at `now`, earliest first."""
    stmt = (select(Campaign.workspace_id, Campaign.id)
            .where(Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now)
            .order_by(Campaign.scheduled_at, Campaign.id).limit(limit))
    return [(row[0], row[1]) for row in session.execute(stmt)]


def launch_due_campaigns(factory: sessionmaker[Session], *, now: datetime | None = None) -> list[int]:
    """Launch the scheduled campaigns that are due; return the ids launched by this call."""
    now = now or utcnow()
    with factory() as session:
        due = due_campaigns(session, now=now)
    launched = []
    for workspace_id, campaign_id in due:
        try:
            with factory() as session, session.begin():
                launch_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id, actor=SCHEDULER_ACTOR,
                                now=now)
            launched.append(campaign_id)
            logger.info("launched scheduled campaign %s", campaign_id)
        except KempenError as exc:
            _give_back(factory, workspace_id, campaign_id, exc.detail)
    return launched


def _give_back(factory: sessionmaker[Session], workspace_id: int, campaign_id: int, why: str) -> None:
    """A launch at the scheduled time failed: if nobody else launched it, return it to draft with the reason."""
    try:
        with factory() as session, session.begin():
            campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
            if campaign.status != CampaignStatus.SCHEDULED:
                return  # another host launched it, or someone acted on it meanwhile
            transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=CampaignStatus.DRAFT,
                       actor=SCHEDULER_ACTOR, reason=f"could not launch at the scheduled time: {why}")
        logger.warning("scheduled campaign %s could not launch: %s", campaign_id, why)
    except KempenError:
        logger.warning("scheduled campaign %s could not launch (%s) and could not go back to draft",
                       campaign_id, why, exc_info=True)
