"""The demo's planning and teamwork: a programme, objectives, monthly budgets, tasks and a comment thread.

`kempen init` adds them after the two demo campaigns, so a fresh `make run` shows every planning page
with something on it: "Spring relaunch" (budget, objective, both demo campaigns), objectives on pace
and behind, monthly plans per channel of which paid search is past its warning, tasks open, done and
overdue, and a thread with @mentions. A workspace with a single member also gets a manager and an
analyst to share the work with (their passwords are returned once, for `kempen init` to print).

Idempotent: nothing is added when the programme exists. Everything goes through the services, so the
audit log, the notifications (task assigned, mention, budget warning) and the checks are the real ones.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.kit.clock import utcnow
from kempen.models import Campaign, Role
from kempen.models.planning import ObjectiveMetric
from kempen.models.teamwork import TaskStatus
from kempen.planning import budgets, figures, objectives, programmes
from kempen.planning.budgets import MonthlyBudgetSet
from kempen.planning.schemas import ObjectiveCreate, ProgrammeCreate
from kempen.reporting import costs
from kempen.reporting.schemas import SpendCreate
from kempen.teamwork import comments, tasks
from kempen.teamwork.actors import Acting
from kempen.teamwork.mentions import workspace_members
from kempen.teamwork.schemas import TaskCreate

PROGRAMME_NAME = "Spring relaunch"
ACTOR = "kempen init"
# The two campaigns `kempen init` makes (demo/campaign.py and demo/tracking.py).
SPRING_PICKS = "Spring picks (demo)"
WINTER_SALE = "Winter sale (demo)"
TEAM = ((Role.MANAGER, "manager@kempen.local", "Mira Santos"), (Role.ANALYST, "analyst@kempen.local", "Arif Rahman"))


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str


@dataclass(frozen=True)
class DemoPlanning:
    programme_id: int
    logins: list[DemoLogin]


def _campaign(session: Session, workspace_id: int, name: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.name == name))


def _team(session: Session, workspace_id: int) -> tuple[dict[Role, int], list[DemoLogin]]:
    """The user id per role (the first owner, a manager, an analyst), adding the two when the owner is alone."""
    members = workspace_members(session, workspace_id=workspace_id)
    logins: list[DemoLogin] = []
    if len(members) == 1:
        for role, email, name in TEAM:
            if accounts.get_user_by_email(session, email) is not None:
                continue  # another workspace on this database has them; leave them be
            password = secrets.token_urlsafe(12)
            user = accounts.create_user(session, email=email, password=password, name=name)
            accounts.add_member(session, workspace_id=workspace_id, user_id=user.id, role=role, actor=ACTOR)
            logins.append(DemoLogin(role=role, email=email, password=password))
        members = workspace_members(session, workspace_id=workspace_id)
    by_role: dict[Role, int] = {}
    for member in sorted(members, key=lambda m: m.user_id):
        by_role.setdefault(member.role, member.user_id)
    owner = by_role.get(Role.OWNER) or by_role.get(Role.ADMIN) or members[0].user_id
    return {Role.OWNER: owner, Role.MANAGER: by_role.get(Role.MANAGER, owner),
            Role.ANALYST: by_role.get(Role.ANALYST, owner)}, logins


def _objectives(session: Session, workspace_id: int, programme_id: int, winter: Campaign | None,
                spring: Campaign | None, today: date, now: datetime) -> None:
    programme_end = today + timedelta(days=60)
    objectives.add_objective(session, workspace_id=workspace_id, actor=ACTOR, programme_id=programme_id,
                             data=ObjectiveCreate(metric=ObjectiveMetric.REVENUE, target=Decimal("50000"),
                                                  deadline=programme_end,
                                                  relevance="Spring is the shop's biggest season."))
    if winter is not None:
        totals = figures.campaign_totals(session, workspace_id=workspace_id, campaigns=[winter], until=now).get(winter.id)
        # Targets a fifth above today's figures, due in three days: the trend so far reaches them (on pace).
        for metric, field in ((ObjectiveMetric.CLICKS, "clicks"), (ObjectiveMetric.CONVERSIONS, "conversions")):
            current = float(getattr(totals, field) or 0) if totals is not None else 0.0
            objectives.add_objective(session, workspace_id=workspace_id, actor=ACTOR, campaign_id=winter.id,
                                     data=ObjectiveCreate(metric=metric, target=Decimal(max(math.ceil(current * 1.2), 1)),
                                                          deadline=today + timedelta(days=3),
                                                          relevance="Winter sale readers are the spring audience."))
    if spring is not None:  # just launched, nothing clicked yet: behind
        objectives.add_objective(session, workspace_id=workspace_id, actor=ACTOR, campaign_id=spring.id,
                                 data=ObjectiveCreate(metric=ObjectiveMetric.CLICKS, target=Decimal("40"),
                                                      deadline=today + timedelta(days=14),
                                                      relevance="Clicks show which spring picks to restock."))


def _budgets(session: Session, workspace_id: int, programme_id: int, spender: Campaign | None, today: date) -> None:
    """Plans per channel this month; paid search spend at 92 % of its plan shows a warning."""
    month = today.replace(day=1)
    for channel, amount in (("email", "40"), ("paid_search", "200"), ("paid_social", "300")):
        budgets.set_monthly_budget(session, workspace_id=workspace_id, actor=ACTOR, programme_id=programme_id,
                                   data=MonthlyBudgetSet(channel=channel, month=month, amount=Decimal(amount)))
    if spender is not None:
        for channel, amount in (("paid_search", "184"), ("paid_social", "60")):
            costs.add_spend(session, workspace_id=workspace_id, actor=ACTOR, campaign_id=spender.id,
                            data=SpendCreate(channel=channel, spend_date=today, amount=Decimal(amount),
                                             note="Demo spend"))


def _tasks_and_thread(session: Session, workspace_id: int, campaign: Campaign, team: dict[Role, int],
                      today: date) -> None:
    def acting(role: Role) -> Acting:
        return Acting(workspace_id=workspace_id, role=Role.OWNER if role == Role.OWNER else Role.MARKETER,
                      actor=f"user:{team[role]}", user_id=team[role])

    owner = acting(Role.OWNER)
    for title, role, due, status in (
            ("Compare the A/B subject lines after 48 hours", Role.ANALYST, today + timedelta(days=2), TaskStatus.TODO),
            ("Approve the spring budget", Role.MANAGER, today - timedelta(days=1), TaskStatus.DONE),
            ("Book paid search for the relaunch week", Role.OWNER, today - timedelta(days=3), TaskStatus.TODO)):
        tasks.create_task(session, who=owner, campaign_id=campaign.id,
                          data=TaskCreate(title=title, assignee_id=team[role], due_on=due, status=status))
    handles = {m.user_id: m.email.split("@", 1)[0] for m in workspace_members(session, workspace_id=workspace_id)}
    comments.add_comment(session, who=owner, campaign_id=campaign.id,
                         body=f"@{handles[team[Role.MANAGER]]} paid search is already past 90 % of this month's "
                              "plan. Shall we move some of the paid social budget over?")
    comments.add_comment(session, who=acting(Role.MANAGER), campaign_id=campaign.id,
                         body=f"Yes, 50 is fine. @{handles[team[Role.ANALYST]]}, could you check on Friday "
                              "whether the extra clicks convert?")


def create_demo_planning(session: Session, *, workspace_id: int, now: datetime | None = None) -> DemoPlanning | None:
    """Add the demo programme, objectives, budgets, tasks and thread; None if the programme exists."""
    if any(p.name == PROGRAMME_NAME for p in programmes.list_programmes(session, workspace_id=workspace_id)):
        return None
    now = now or utcnow()
    today = now.date()
    team, logins = _team(session, workspace_id)
    programme = programmes.create_programme(session, workspace_id=workspace_id, actor=ACTOR, data=ProgrammeCreate(
        name=PROGRAMME_NAME, description="Relaunch the shop for spring: new collection, new audiences.",
        starts_on=today.replace(day=1) - timedelta(days=14), ends_on=today + timedelta(days=60),
        budget=Decimal("15000"), owner_id=team[Role.OWNER]))
    winter, spring = _campaign(session, workspace_id, WINTER_SALE), _campaign(session, workspace_id, SPRING_PICKS)
    for campaign in (winter, spring):
        if campaign is not None:
            programmes.assign_campaign(session, workspace_id=workspace_id, actor=ACTOR, campaign_id=campaign.id,
                                       programme_id=programme.id)
            campaign.owner_id = campaign.owner_id or team[Role.OWNER]
    _objectives(session, workspace_id, programme.id, winter, spring, today, now)
    busiest = spring or winter
    _budgets(session, workspace_id, programme.id, busiest, today)
    if busiest is not None:
        _tasks_and_thread(session, workspace_id, busiest, team, today)
    session.flush()
    return DemoPlanning(programme_id=programme.id, logins=logins)
