"""Request and response shapes of the teamwork API: tasks, comments, reviews and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from kempen.kit.ids import RowId
from kempen.models.teamwork import CommentKind, TaskStatus

Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]
CommentBody = Annotated[str, Field(min_length=1, max_length=10_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TaskCreate(_In):
    title: Title
    description: Description = ""
    assignee_id: RowId | None = Field(default=None, description="A member of the workspace (users.id)")
    due_on: date | None = None
    status: TaskStatus = TaskStatus.TODO


class TaskUpdate(_In):
    """Fields to change; the assignee may change only `status`."""

    title: Title | None = None
    description: Description | None = None
    assignee_id: RowId | None = None
    due_on: date | None = None
    status: TaskStatus | None = None


class Task(_Out):
    id: int
    campaign_id: int
    title: str
    description: str
    assignee_id: int | None
    due_on: date | None
    status: TaskStatus
    created_by: str
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    overdue: bool = False


class CommentCreate(_In):
    body: CommentBody


class Comment(_Out):
    id: int
    campaign_id: int
    author_id: int | None
    author: str
    kind: CommentKind
    body: str
    mentioned_user_ids: list[int]
    created_at: datetime
    edited_at: datetime | None


class ReviewDecision(_In):
    comment: Annotated[str, Field(max_length=2000)] = ""


class AuditEntry(_Out):
    id: int
    actor: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None
