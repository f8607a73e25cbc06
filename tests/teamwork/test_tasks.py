"""Tasks: who may create and change them, assignees from this workspace only, filters, due reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from kempen.kit.errors import InvalidInput, PermissionDenied
from kempen.models import Role
from kempen.models.teamwork import NotificationKind, TaskStatus
from kempen.teamwork import notifications, tasks
from kempen.teamwork.schemas import TaskCreate, TaskUpdate
from tests.campaigns.conftest import World
from tests.teamwork.conftest import Team, add_user

TODAY = date(2026, 5, 10)


def kinds(session: Session, team: Team, role: Role) -> list[NotificationKind]:
    items, _ = notifications.list_notifications(session, workspace_id=team.id, user_id=team.user(role).id)
    return [n.kind for n in items]


def test_marketer_creates_a_task_and_the_assignee_is_notified(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    task = tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id, data=TaskCreate(
        title="Write copy", assignee_id=team.user(Role.MANAGER).id, due_on=TODAY))
    session.commit()
    assert (task.status, task.created_by_id, task.campaign_id) == (TaskStatus.TODO, team.user(Role.MARKETER).id,
                                                                   campaign.id)
    assert kinds(session, team, Role.MANAGER) == [NotificationKind.TASK_ASSIGNED]
    assert kinds(session, team, Role.MARKETER) == []  # nobody hears of their own doing


@pytest.mark.parametrize("role", [Role.VIEWER, Role.ANALYST])
def test_below_marketer_cannot_create_tasks(session: Session, team: Team, role: Role) -> None:
    campaign = team.world.campaign()
    with pytest.raises(PermissionDenied):
        tasks.create_task(session, who=team.acting(role), campaign_id=campaign.id, data=TaskCreate(title="x"))


def test_assignee_must_be_a_member_of_this_workspace(session: Session, team: Team, other: World) -> None:
    stranger = add_user(session, other.id, Role.ADMIN, "Sam Stranger")
    campaign = team.world.campaign()
    with pytest.raises(InvalidInput, match="member of this workspace"):
        tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id,
                          data=TaskCreate(title="x", assignee_id=stranger.id))


def test_the_assignee_may_change_the_status_only(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    task = tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id,
                             data=TaskCreate(title="Check figures", assignee_id=team.user(Role.VIEWER).id))
    viewer = team.acting(Role.VIEWER)
    done = tasks.update_task(session, who=viewer, task_id=task.id, data=TaskUpdate(status=TaskStatus.DONE))
    assert done.status == TaskStatus.DONE and done.completed_at is not None
    with pytest.raises(PermissionDenied):
        tasks.update_task(session, who=viewer, task_id=task.id, data=TaskUpdate(title="Mine now"))
    with pytest.raises(PermissionDenied):  # the analyst is not the assignee
        tasks.update_task(session, who=team.acting(Role.ANALYST), task_id=task.id,
                          data=TaskUpdate(status=TaskStatus.TODO))
    reopened = tasks.update_task(session, who=viewer, task_id=task.id, data=TaskUpdate(status=TaskStatus.IN_PROGRESS))
    assert reopened.completed_at is None


def test_reassigning_notifies_the_new_assignee(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    task = tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id,
                             data=TaskCreate(title="Design banner"))
    tasks.update_task(session, who=team.acting(Role.MARKETER), task_id=task.id,
                      data=TaskUpdate(assignee_id=team.user(Role.ANALYST).id))
    assert kinds(session, team, Role.ANALYST) == [NotificationKind.TASK_ASSIGNED]


def test_filters_mine_and_overdue(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    marketer, manager_id = team.acting(Role.MARKETER), team.user(Role.MANAGER).id
    late = tasks.create_task(session, who=marketer, campaign_id=campaign.id,
                             data=TaskCreate(title="late", assignee_id=manager_id, due_on=TODAY - timedelta(days=1)))
    tasks.create_task(session, who=marketer, campaign_id=campaign.id,
                      data=TaskCreate(title="done late", assignee_id=manager_id, due_on=TODAY - timedelta(days=3),
                                      status=TaskStatus.DONE))
    later = tasks.create_task(session, who=marketer, campaign_id=campaign.id,
                              data=TaskCreate(title="later", assignee_id=manager_id, due_on=TODAY + timedelta(days=5)))
    tasks.create_task(session, who=marketer, campaign_id=campaign.id, data=TaskCreate(title="nobody's"))
    overdue = tasks.list_tasks(session, workspace_id=team.id, overdue=True, today=TODAY)
    assert [t.id for t in overdue] == [late.id]
    mine = tasks.list_tasks(session, workspace_id=team.id, assignee_id=manager_id, open_only=True)
    assert [t.id for t in mine] == [late.id, later.id]
    assert tasks.is_overdue(late, TODAY) and not tasks.is_overdue(later, TODAY)


def test_other_workspaces_see_no_tasks(session: Session, team: Team, other: World) -> None:
    campaign = team.world.campaign()
    task = tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id,
                             data=TaskCreate(title="secret"))
    assert tasks.list_tasks(session, workspace_id=other.id) == []
    with pytest.raises(Exception, match="No task"):
        tasks.get_task_or_raise(session, workspace_id=other.id, task_id=task.id)


def test_due_reminders_soon_then_overdue_each_once(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    tasks.create_task(session, who=team.acting(Role.MARKETER), campaign_id=campaign.id,
                      data=TaskCreate(title="Proofread", assignee_id=team.user(Role.ANALYST).id,
                                      due_on=TODAY + timedelta(days=1)))
    assert tasks.remind_due_tasks(session, today=TODAY - timedelta(days=3)) == 0  # not due soon yet
    first = tasks.remind_due_tasks(session, today=TODAY)
    again = tasks.remind_due_tasks(session, today=TODAY)
    late = tasks.remind_due_tasks(session, today=TODAY + timedelta(days=2))
    assert (first, again, late) >= (1, 0, 1)
    mine = [k for k in kinds(session, team, Role.ANALYST) if k != NotificationKind.TASK_ASSIGNED]
    assert mine == [NotificationKind.TASK_OVERDUE, NotificationKind.TASK_DUE_SOON]  # newest first
