"""Tasks on a campaign: create, change, list and filter, remind.

Who may do what: marketers (and up) create, edit and delete tasks; the assignee, whatever their role,
may change a task's status; everyone reads. Assignees are members of the workspace. Assigning a task
notifies the assignee; `remind_due_tasks` notifies assignees of tasks due within a day and of overdue
ones, once each (the engine loop calls it).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns.repository import get_campaign_or_raise
from kempen.kit.clock import utcnow
from kempen.kit.errors import NotFound, PermissionDenied
from kempen.models import Campaign, Role
from kempen.models.teamwork import CampaignTask, NotificationKind, TaskStatus
from kempen.teamwork import notifications
from kempen.teamwork.actors import Acting
from kempen.teamwork.mentions import get_member_or_raise
from kempen.teamwork.schemas import TaskCreate, TaskUpdate

DUE_SOON = timedelta(days=1)


def is_overdue(task: CampaignTask, today: date | None = None) -> bool:
    today = today or utcnow().date()
    return task.status != TaskStatus.DONE and task.due_on is not None and task.due_on < today


def get_task_or_raise(session: Session, *, workspace_id: int, task_id: int) -> CampaignTask:
    task = session.scalar(select(CampaignTask).where(CampaignTask.workspace_id == workspace_id,
                                                     CampaignTask.id == task_id))
    if task is None:
        raise NotFound(f"No task {task_id} in this workspace.")
    return task


def _notify_assignee(session: Session, task: CampaignTask, campaign: Campaign, who: Acting) -> None:
    if task.assignee_id is None:
        return
    due = f" Due {task.due_on.isoformat()}." if task.due_on else ""
    notifications.notify(session, workspace_id=task.workspace_id, user_ids=[task.assignee_id],
                         kind=NotificationKind.TASK_ASSIGNED, title=f"Task for you: {task.title}",
                         body=f"On campaign “{campaign.name}”.{due}", link=f"/campaigns/{campaign.id}#task-{task.id}",
                         campaign_id=campaign.id, actor=who.actor, actor_user_id=who.user_id)


def create_task(session: Session, *, who: Acting, campaign_id: int, data: TaskCreate) -> CampaignTask:
    """Add a task to a campaign (marketers); the assignee is notified."""
    who.require(Role.MARKETER)
    workspace_id = who.workspace_id
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if data.assignee_id is not None:
        get_member_or_raise(session, workspace_id=workspace_id, user_id=data.assignee_id, what="The assignee")
    task = CampaignTask(workspace_id=workspace_id, campaign_id=campaign.id, title=data.title,
                        description=data.description, assignee_id=data.assignee_id, due_on=data.due_on,
                        status=data.status, created_by_id=who.user_id, created_by=who.actor,
                        completed_at=utcnow() if data.status == TaskStatus.DONE else None)
    session.add(task)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=who.actor, action="task.created", entity_type="task",
                 entity_id=task.id, details={"campaign_id": campaign.id, "title": task.title,
                                             "assignee_id": task.assignee_id})
    _notify_assignee(session, task, campaign, who)
    return task


def _check_may_change(who: Acting, task: CampaignTask, fields: set[str]) -> None:
    if who.role.includes(Role.MARKETER):
        return
    if fields <= {"status"} and who.user_id is not None and who.user_id == task.assignee_id:
        return
    raise PermissionDenied("Only marketers (and up) change tasks; the assignee may change a task's status.")


def update_task(session: Session, *, who: Acting, task_id: int, data: TaskUpdate) -> CampaignTask:
    """Change a task; a new assignee is notified, a new due date gets its reminders again."""
    workspace_id = who.workspace_id
    task = get_task_or_raise(session, workspace_id=workspace_id, task_id=task_id)
    # null clears only what may be empty (the assignee, the due date); a null title or status changes nothing.
    given = {key: value for key, value in data.model_dump(exclude_unset=True).items()
             if value is not None or key in ("assignee_id", "due_on", "description")}
    if "description" in given:
        given["description"] = given["description"] or ""
    _check_may_change(who, task, set(given))
    changes = {key: value for key, value in given.items() if getattr(task, key) != value}
    if "assignee_id" in changes and changes["assignee_id"] is not None:
        get_member_or_raise(session, workspace_id=workspace_id, user_id=changes["assignee_id"], what="The assignee")
    if not changes:
        return task
    _apply(task, changes)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=who.actor, action="task.updated", entity_type="task",
                 entity_id=task.id, details={"campaign_id": task.campaign_id, "changes": _jsonable(changes)})
    if changes.get("assignee_id") is not None:
        campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=task.campaign_id)
        _notify_assignee(session, task, campaign, who)
    return task


def _apply(task: CampaignTask, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(task, key, value)
    if "due_on" in changes:
        task.due_notice = None
    if "status" in changes:
        task.completed_at = utcnow() if task.status == TaskStatus.DONE else None


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date) else str(value) if hasattr(value, "value") else value
            for key, value in changes.items()}


def delete_task(session: Session, *, who: Acting, task_id: int) -> None:
    """Delete a task (marketers)."""
    who.require(Role.MARKETER)
    task = get_task_or_raise(session, workspace_id=who.workspace_id, task_id=task_id)
    session.delete(task)
    session.flush()
    audit.record(session, workspace_id=who.workspace_id, actor=who.actor, action="task.deleted",
                 entity_type="task", entity_id=task_id, details={"campaign_id": task.campaign_id, "title": task.title})


def list_tasks(session: Session, *, workspace_id: int, campaign_id: int | None = None, assignee_id: int | None = None,
               status: TaskStatus | None = None, open_only: bool = False, overdue: bool = False,
               today: date | None = None) -> list[CampaignTask]:
    """Tasks of the workspace (or one campaign), open ones first by due date; filters combine."""
    stmt = select(CampaignTask).where(CampaignTask.workspace_id == workspace_id)
    if campaign_id is not None:
        get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
        stmt = stmt.where(CampaignTask.campaign_id == campaign_id)
    if assignee_id is not None:
        stmt = stmt.where(CampaignTask.assignee_id == assignee_id)
    if status is not None:
        stmt = stmt.where(CampaignTask.status == status)
    if open_only or overdue:
        stmt = stmt.where(CampaignTask.status != TaskStatus.DONE)
    if overdue:
        stmt = stmt.where(CampaignTask.due_on < (today or utcnow().date()))
    stmt = stmt.order_by((CampaignTask.status == TaskStatus.DONE), CampaignTask.due_on.is_(None),
                         CampaignTask.due_on, CampaignTask.id)
    return list(session.scalars(stmt))


def campaign_names(session: Session, *, workspace_id: int, campaign_ids: set[int]) -> dict[int, str]:
    """The names of the workspace's campaigns among `campaign_ids`."""
    if not campaign_ids:
        return {}
    stmt = select(Campaign.id, Campaign.name).where(Campaign.workspace_id == workspace_id,
                                                    Campaign.id.in_(campaign_ids))
    return {cid: name for cid, name in session.execute(stmt)}


def _claim_notice(session: Session, task: CampaignTask, notice: str) -> bool:
    """Record that `notice` is being sent, unless a concurrent round already did (compare-and-set)."""
    result = session.execute(update(CampaignTask)
                             .where(CampaignTask.id == task.id, CampaignTask.due_notice.is_distinct_from(notice))
                             .values(due_notice=notice).execution_options(synchronize_session=False))
    task.due_notice = notice
    return bool(result.rowcount)  # type: ignore[attr-defined]


def remind_due_tasks(session: Session, *, today: date | None = None) -> int:
    """Notify assignees of open tasks due by tomorrow ("soon") or past due ("overdue"), once each; return how many."""
    today = today or utcnow().date()
    stmt = (select(CampaignTask, Campaign.name).join(Campaign, Campaign.id == CampaignTask.campaign_id)
            .where(CampaignTask.status != TaskStatus.DONE, CampaignTask.assignee_id.is_not(None),
                   CampaignTask.due_on <= today + DUE_SOON)
            .order_by(CampaignTask.id))
    sent = 0
    for task, campaign_name in session.execute(stmt):
        notice = "overdue" if task.due_on is not None and task.due_on < today else "soon"
        if task.due_notice == notice or not _claim_notice(session, task, notice):
            continue
        kind = NotificationKind.TASK_OVERDUE if notice == "overdue" else NotificationKind.TASK_DUE_SOON
        title = f"Overdue: {task.title}" if notice == "overdue" else f"Due soon: {task.title}"
        assert task.assignee_id is not None and task.due_on is not None
        notifications.notify(session, workspace_id=task.workspace_id, user_ids=[task.assignee_id], kind=kind,
                             title=title, body=f"Due {task.due_on.isoformat()}, on campaign “{campaign_name}”.",
                             link=f"/campaigns/{task.campaign_id}#task-{task.id}", campaign_id=task.campaign_id,
                             actor="system")
        sent += 1
    session.flush()
    return sent
