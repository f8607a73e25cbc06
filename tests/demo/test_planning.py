"""The demo's planning: programme, objectives on pace and behind, a budget warning, tasks, a thread, a team."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.demo import campaign as demo_campaign
from kempen.demo.planning import PROGRAMME_NAME, create_demo_planning
from kempen.demo.tracking import create_demo_results
from kempen.kit.clock import utcnow
from kempen.models import Campaign, MonthlyBudget, Programme, Role
from kempen.models.teamwork import CampaignComment, CampaignTask, NotificationKind, TaskStatus
from kempen.planning import budgets, objectives, programmes
from kempen.teamwork import notifications, tasks
from kempen.teamwork.budget_alerts import notify_budget_alert
from kempen.teamwork.mentions import workspace_members
from tests.conftest import unique
from tests.demo.conftest import make_demo


def kinds(session: Session, ws: int, user_id: int) -> Counter[NotificationKind]:
    items, _ = notifications.list_notifications(session, workspace_id=ws, user_id=user_id)
    return Counter(n.kind for n in items)


def test_demo_planning_fills_every_planning_page_once(db: Engine, session: Session) -> None:
    budgets.on_budget_alert(notify_budget_alert)  # what `kempen init` (cli/main.py) registers
    demo = make_demo(db, contacts=700, seed=3, as_of=utcnow().date())
    ws = demo.workspace_id
    owner = accounts.create_user(session, email=f"{unique('owner')}@example.com", password="correct horse battery")
    accounts.add_member(session, workspace_id=ws, user_id=owner.id, role=Role.OWNER)
    assert demo_campaign.create_demo_campaign(session, workspace_id=ws) is not None
    assert create_demo_results(session, workspace_id=ws) is not None
    team_before = {u.email for u in [accounts.get_user_by_email(session, e)
                                     for e in ("manager@kempen.local", "analyst@kempen.local")] if u}
    made = create_demo_planning(session, workspace_id=ws)
    session.commit()
    assert made is not None

    members = {m.role: m for m in workspace_members(session, workspace_id=ws)}
    assert {Role.OWNER, Role.MANAGER, Role.ANALYST} <= set(members)
    for login in made.logins:  # printed by `kempen init`; they work
        assert login.email not in team_before
        assert accounts.authenticate_user(session, email=login.email, password=login.password) is not None

    detail = programmes.programme_detail(session, workspace_id=ws, programme_id=made.programme_id)
    assert detail.name == PROGRAMME_NAME and detail.budget is not None and len(detail.campaigns) == 2
    assert [o.metric for o in detail.objectives] == ["revenue"]
    verdicts = {}
    for campaign in detail.campaigns:
        for progress in objectives.campaign_progress(session, workspace_id=ws, campaign_id=campaign.campaign_id):
            verdicts[(campaign.name, progress.metric)] = progress.verdict
    assert verdicts == {("Winter sale (demo)", "clicks"): "on_pace", ("Winter sale (demo)", "conversions"): "on_pace",
                        ("Spring picks (demo)", "clicks"): "behind"}, verdicts

    lines = budgets.month_lines(session, workspace_id=ws, programme_id=made.programme_id,
                                since=utcnow().date(), until=budgets.next_month(utcnow().date().replace(day=1)))
    levels = {ln.channel: ln.level for ln in lines if ln.planned is not None}
    assert levels == {"email": "ok", "paid_search": "warning", "paid_social": "ok"}, levels

    listed = tasks.list_tasks(session, workspace_id=ws)
    overdue = [t for t in listed if tasks.is_overdue(t)]
    assert Counter(t.status for t in listed) == Counter({TaskStatus.TODO: 2, TaskStatus.DONE: 1})
    assert len(overdue) == 1 and overdue[0].assignee_id == members[Role.OWNER].user_id
    thread = list(session.scalars(select(CampaignComment).where(CampaignComment.workspace_id == ws)))
    assert len(thread) == 2 and thread[0].mentioned_user_ids == [members[Role.MANAGER].user_id]
    manager_news = kinds(session, ws, members[Role.MANAGER].user_id)
    assert manager_news[NotificationKind.MENTION] == 1 and manager_news[NotificationKind.BUDGET_WARNING] == 1
    assert kinds(session, ws, members[Role.ANALYST].user_id)[NotificationKind.MENTION] == 1

    def counts() -> tuple[int | None, ...]:
        return tuple(session.scalar(select(func.count()).select_from(model).where(model.workspace_id == ws))
                     for model in (Programme, MonthlyBudget, CampaignTask, CampaignComment, Campaign))

    before = counts()
    assert create_demo_planning(session, workspace_id=ws) is None  # once only
    assert counts() == before and len(workspace_members(session, workspace_id=ws)) == len(members)
