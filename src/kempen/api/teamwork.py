"""Tasks and comments on campaigns, and the review decisions that write into the comment thread.

Viewers read; analysts comment; marketers manage tasks (an assignee may change a task's status);
managers approve or request changes through POST /campaigns/{id}/approve and /request-changes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import status as http

from kempen.http.deps import Analyst, IdPath, Marketer, SessionDep, Viewer
from kempen.kit.ids import MAX_ID
from kempen.models.teamwork import CampaignTask, TaskStatus
from kempen.teamwork import comments, schemas, tasks
from kempen.teamwork.actors import Acting

router = APIRouter(tags=["teamwork"])
CREATED = http.HTTP_201_CREATED
NO_CONTENT = http.HTTP_204_NO_CONTENT
CAMPAIGN = "/campaigns/{campaign_id}"
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _out(task: CampaignTask, today: date | None = None) -> schemas.Task:
    out = schemas.Task.model_validate(task)
    out.overdue = tasks.is_overdue(task, today)
    return out


# Tasks

@router.get(CAMPAIGN + "/tasks", response_model=list[schemas.Task])
def list_campaign_tasks(session: SessionDep, principal: Viewer, campaign_id: IdPath,
                        status: TaskStatus | None = None, assignee_id: OptionalId = None,
                        overdue: bool = False) -> Any:
    """A campaign's tasks, open ones first by due date."""
    found = tasks.list_tasks(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                             status=status, assignee_id=assignee_id, overdue=overdue)
    return [_out(t) for t in found]


@router.post(CAMPAIGN + "/tasks", response_model=schemas.Task, status_code=CREATED)
def create_task(session: SessionDep, principal: Marketer, campaign_id: IdPath, data: schemas.TaskCreate) -> Any:
    """Add a task; the assignee (a member of the workspace) is notified."""
    return _out(tasks.create_task(session, who=Acting.of(principal), campaign_id=campaign_id, data=data))


@router.get("/tasks", response_model=list[schemas.Task])
def list_all_tasks(session: SessionDep, principal: Viewer, campaign_id: OptionalId = None,
                   status: TaskStatus | None = None, assignee_id: OptionalId = None, open_only: bool = False,
                   overdue: bool = False) -> Any:
    """The workspace's tasks across campaigns; `assignee_id` + `open_only` lists someone's open work."""
    found = tasks.list_tasks(session, workspace_id=principal.workspace_id, campaign_id=campaign_id, status=status,
                             assignee_id=assignee_id, open_only=open_only, overdue=overdue)
    return [_out(t) for t in found]


@router.get("/tasks/{task_id}", response_model=schemas.Task)
def get_task(session: SessionDep, principal: Viewer, task_id: IdPath) -> Any:
    return _out(tasks.get_task_or_raise(session, workspace_id=principal.workspace_id, task_id=task_id))


@router.patch("/tasks/{task_id}", response_model=schemas.Task)
def update_task(session: SessionDep, principal: Viewer, task_id: IdPath, data: schemas.TaskUpdate) -> Any:
    """Change a task (marketers); its assignee may change `status` only. A new assignee is notified."""
    return _out(tasks.update_task(session, who=Acting.of(principal), task_id=task_id, data=data))


@router.delete("/tasks/{task_id}", status_code=NO_CONTENT)
def delete_task(session: SessionDep, principal: Marketer, task_id: IdPath) -> None:
    tasks.delete_task(session, who=Acting.of(principal), task_id=task_id)


# Comments

@router.get(CAMPAIGN + "/comments", response_model=list[schemas.Comment])
def list_comments(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    """The campaign's thread, oldest first, review decisions included (`kind`)."""
    return comments.list_comments(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.post(CAMPAIGN + "/comments", response_model=schemas.Comment, status_code=CREATED)
def add_comment(session: SessionDep, principal: Analyst, campaign_id: IdPath, data: schemas.CommentCreate) -> Any:
    """Comment; members @mentioned by email local part or name are notified."""
    return comments.add_comment(session, who=Acting.of(principal), campaign_id=campaign_id, body=data.body)


@router.patch("/comments/{comment_id}", response_model=schemas.Comment)
def edit_comment(session: SessionDep, principal: Analyst, comment_id: IdPath, data: schemas.CommentCreate) -> Any:
    """Change the text of one of your own comments."""
    return comments.edit_comment(session, who=Acting.of(principal), comment_id=comment_id, body=data.body)
