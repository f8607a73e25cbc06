"""Teamwork models (issue 7): tasks and comments on a campaign, and notifications to members.

Tasks and comments belong to a campaign; notifications to a member of a workspace. Authors and
assignees are users (`users.id`), who must be members of the workspace the row belongs to; the
services check that, the schema cannot.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import (
    Base,
    BigIntId,
    JSONValue,
    UTCDateTime,
    created_at_column,
    str_enum,
    updated_at_column,
    workspace_fk,
)

__all__ = ["CampaignComment", "CampaignTask", "CommentKind", "Notification", "NotificationKind",
           "NotificationPreference", "TaskStatus"]


class TaskStatus(enum.StrEnum):
    """todo → in progress → done; any status may be set again (a done task can be reopened)."""

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class CampaignTask(Base):
    """A piece of work on a campaign ("write copy"), with an assignee and a due date.

    `due_notice` remembers the last reminder sent ("soon" or "overdue") so that the reminder round
    sends each at most once; moving the due date clears it.
    """

    __tablename__ = "campaign_tasks"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    assignee_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(str_enum(TaskStatus, "task_status", 16), nullable=False,
                                               default=TaskStatus.TODO)
    created_by_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    due_notice: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(None, "workspace_id", "campaign_id"),
        Index(None, "workspace_id", "assignee_id", "status"),
        Index(None, "workspace_id", "status", "due_on"),
    )


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    APPROVED = "approved"                    # a reviewer's approval, with or without words
    CHANGES_REQUESTED = "changes_requested"  # a reviewer sent the campaign back to draft


class CampaignComment(Base):
    """One message in a campaign's thread; the text is shown as written (never rendered as markdown)."""

    __tablename__ = "campaign_comments"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False)
    author_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    # The actor string (user:1, api_key:3), kept when the user is gone.
    author: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    kind: Mapped[CommentKind] = mapped_column(str_enum(CommentKind, "comment_kind", 24), nullable=False,
                                              default=CommentKind.COMMENT)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The members the text @mentions, resolved when it was written or edited.
    mentioned_user_ids: Mapped[list[int]] = mapped_column(JSONValue, nullable=False, default=list)
    created_at: Mapped[datetime] = created_at_column()
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index(None, "workspace_id", "campaign_id", "id"),)


class NotificationKind(enum.StrEnum):
    MENTION = "mention"
    TASK_ASSIGNED = "task_assigned"
    TASK_DUE_SOON = "task_due_soon"
    TASK_OVERDUE = "task_overdue"
    REVIEW_REQUESTED = "review_requested"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    BUDGET_WARNING = "budget_warning"


class Notification(Base):
    """Something a member should know about, shown under the bell until read.

    `email_pending` is set when the member wants email; the email round sends it after the
    transaction that made the notification has committed, then clears it (`emailed_at` on success).
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, "notification_kind", 32),
                                                   nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # A path in the web UI, e.g. /campaigns/12#comment-40.
    link: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    campaign_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(120), nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_pending: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(None, "workspace_id", "user_id", "read_at"),
        Index(None, "workspace_id", "user_id", "id"),
        Index(None, "email_pending"),
    )


class NotificationPreference(Base):
    """A member's choices about notifications in one workspace (no row: the defaults)."""

    __tablename__ = "notification_preferences"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = updated_at_column()
