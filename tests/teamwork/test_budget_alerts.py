"""Budget warnings reach the campaign's owner and the reviewers as notifications (through the app's hook)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.models import CampaignSpend, Role
from kempen.models.teamwork import NotificationKind
from kempen.planning import budgets
from kempen.planning.budgets import MonthlyBudgetSet
from kempen.teamwork import notifications
from kempen.teamwork.budget_alerts import notify_budget_alert
from tests.teamwork.conftest import Team


def test_passing_the_threshold_then_the_plan_notifies_owner_and_managers(session: Session, team: Team) -> None:
    budgets.on_budget_alert(notify_budget_alert)  # what app.py and the CLI register
    campaign = team.world.campaign(name="Autumn push")
    campaign.owner_id = team.user(Role.MARKETER).id
    budgets.set_monthly_budget(session, workspace_id=team.id, actor="test", campaign_id=campaign.id,
                               data=MonthlyBudgetSet(channel="email", month=date(2026, 3, 1), amount=Decimal("100")))
    for day, amount in ((1, "95"), (2, "10")):
        session.add(CampaignSpend(workspace_id=team.id, campaign_id=campaign.id, channel="email",
                                  spend_date=date(2026, 3, day), amount=Decimal(amount), currency="EUR",
                                  source="manual"))
        session.flush()
        budgets.check_budget_alerts(session, workspace_id=team.id)

    def titles(role: Role) -> list[str]:
        items, _ = notifications.list_notifications(session, workspace_id=team.id, user_id=team.user(role).id)
        return [n.title for n in items if n.kind == NotificationKind.BUDGET_WARNING]

    assert titles(Role.MARKETER) == ["Email in March 2026 is over budget: campaign “Autumn push”",
                                     "Email in March 2026 passed its budget warning: campaign “Autumn push”"]
    assert titles(Role.MANAGER) == titles(Role.MARKETER)
    assert titles(Role.ANALYST) == []
