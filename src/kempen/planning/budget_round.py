"""The sending round: budget warnings for message costs that grow while campaigns send.

Actual cost includes messages sent × cost per message, which grows with every batch and changes no plan
or spend row, so nothing else would check it. Every 30 s (one of the background loops that
`kempen.background` starts with the app, beside the notification round) this checks the budgets of
campaigns that are sending, paused, or finished within the last hour (and of their programmes) with
`budgets.check_budget_alerts`, whose once-per-level bookkeeping (`alerted_level`) keeps each warning to
one announcement. Its cost is per campaign and round (a few grouped queries), never per message;
workspaces without a cost per message, or without a plan on those campaigns, cost one query.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from kempen.db import get_session_factory
from kempen.kit.clock import utcnow
from kempen.models import Campaign, CampaignStatus, MonthlyBudget, WorkspaceTrackingSettings
from kempen.planning import budgets

logger = logging.getLogger("kempen.planning.budgets")
ROUND_SECONDS = 30.0
RECENTLY_FINISHED = timedelta(hours=1)
ACTOR = "system:sending-round"


def sending_owners(session: Session, *, now: datetime) -> dict[int, set[budgets.Owner]]:
    """Per workspace, the budget owners (campaign, programme) whose message costs may have just grown."""
    has_plan = or_(
        exists().where(MonthlyBudget.workspace_id == Campaign.workspace_id, MonthlyBudget.campaign_id == Campaign.id),
        exists().where(MonthlyBudget.workspace_id == Campaign.workspace_id,
                       MonthlyBudget.programme_id == Campaign.programme_id))
    priced = exists().where(WorkspaceTrackingSettings.workspace_id == Campaign.workspace_id, or_(
        WorkspaceTrackingSettings.email_cost_per_message > 0, WorkspaceTrackingSettings.sms_cost_per_message > 0))
    stmt = select(Campaign.workspace_id, Campaign.id, Campaign.programme_id).where(
        or_(Campaign.status.in_((CampaignStatus.RUNNING, CampaignStatus.PAUSED)),
            Campaign.finished_at >= now - RECENTLY_FINISHED), has_plan, priced)
    owners: dict[int, set[budgets.Owner]] = defaultdict(set)
    for workspace_id, campaign_id, programme_id in session.execute(stmt):
        owners[workspace_id].add((campaign_id, None))
        if programme_id is not None:
            owners[workspace_id].add((None, programme_id))
    return owners


def check_sending_budgets(session: Session, *, now: datetime | None = None) -> list[budgets.BudgetAlert]:
    """Announce warnings newly reached by the budgets of sending (or just finished) campaigns, in every workspace."""
    alerts: list[budgets.BudgetAlert] = []
    for workspace_id, owners in sorted(sending_owners(session, now=now or utcnow()).items()):
        alerts += budgets.check_budget_alerts(session, workspace_id=workspace_id, actor=ACTOR, only=owners)
    return alerts


def run_round(session_factory: Callable[[], Session]) -> int:
    """One round in its own transaction; the number of warnings announced."""
    with session_factory() as session:
        alerts = check_sending_budgets(session)
        session.commit()
    return len(alerts)


def budget_loop(stop: threading.Event, *, interval: float = ROUND_SECONDS) -> None:
    """Run a round every `interval` seconds until `stop` is set; a failed round is logged and retried."""
    while not stop.wait(interval):
        try:
            run_round(get_session_factory())
        except Exception:  # the database may be away; the next round tries again
            logger.exception("budget round failed")
