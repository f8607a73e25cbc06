"""Budget warnings as notifications: a listener for `planning.budgets.on_budget_alert`.

Planning and teamwork sit side by side in the layers, so neither imports the other: the listener reads
the alert through the `BudgetAlertView` protocol, and the entry points (app.py, cli/main.py) register it.
Who hears of it: the campaign's owner (else its creator) or the programme's owner, and the workspace's
managers, admins and owners.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Campaign, Programme, Role
from kempen.models.teamwork import NotificationKind
from kempen.teamwork import notifications
from kempen.teamwork.comments import owner_ids
from kempen.teamwork.mentions import workspace_members


class BudgetLineView(Protocol):
    @property
    def month(self) -> date: ...
    @property
    def channel(self) -> str: ...
    @property
    def planned(self) -> Decimal | None: ...
    @property
    def actual(self) -> Decimal: ...
    @property
    def level(self) -> str: ...


class BudgetAlertView(Protocol):
    @property
    def workspace_id(self) -> int: ...
    @property
    def campaign_id(self) -> int | None: ...
    @property
    def programme_id(self) -> int | None: ...
    @property
    def line(self) -> BudgetLineView: ...


def _subject(session: Session, alert: BudgetAlertView) -> tuple[str, str, list[int]]:
    """The name, link and owners of what the budget belongs to."""
    if alert.campaign_id is not None:
        campaign = session.scalar(select(Campaign).where(Campaign.workspace_id == alert.workspace_id,
                                                         Campaign.id == alert.campaign_id))
        if campaign is not None:
            return f"campaign “{campaign.name}”", f"/campaigns/{campaign.id}", owner_ids(campaign)
    if alert.programme_id is not None:
        programme = session.scalar(select(Programme).where(Programme.workspace_id == alert.workspace_id,
                                                           Programme.id == alert.programme_id))
        if programme is not None:
            owners = [programme.owner_id] if programme.owner_id is not None else []
            return f"programme “{programme.name}”", f"/programmes/{programme.id}", owners
    return "a budget", "/budgets", []


def notify_budget_alert(session: Session, alert: BudgetAlertView) -> None:
    """Notify the owner and the reviewers that a month and channel passed its warning threshold or its plan."""
    line = alert.line
    name, link, owners = _subject(session, alert)
    reviewers = [m.user_id for m in workspace_members(session, workspace_id=alert.workspace_id)
                 if m.role.includes(Role.MANAGER)]
    what = "is over budget" if line.level == "over" else "passed its budget warning"
    planned = f"{line.planned:,.2f}" if line.planned is not None else "nothing"
    notifications.notify(session, workspace_id=alert.workspace_id, user_ids=[*owners, *reviewers],
                         kind=NotificationKind.BUDGET_WARNING,
                         title=f"{line.channel.capitalize()} in {line.month:%B %Y} {what}: {name}",
                         body=f"Spent {line.actual:,.2f} of {planned} planned.", link=link,
                         campaign_id=alert.campaign_id, actor="system")
