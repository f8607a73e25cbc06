"""Teamwork in the web UI: the tasks and comments card on a campaign page, the bell and the notifications page.

The card loads by HTMX from /campaigns/{id}/teamwork; its forms post with hx-post and get the card back
(with the refusal shown in it), or, without JavaScript, a redirect to the campaign page. Who may press
what is decided by the services (teamwork/tasks.py, comments.py); the card only hides what a role
cannot use.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.campaigns.repository import get_campaign_or_raise
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, KempenError, NotFound
from kempen.models import Role
from kempen.models.teamwork import TaskStatus
from kempen.teamwork import comments, notifications, tasks
from kempen.teamwork.actors import Acting
from kempen.teamwork.mentions import workspace_members
from kempen.teamwork.schemas import TaskCreate, TaskUpdate
from kempen.web.auth import CsrfChecked, WebContext, WebUser, safe_next
from kempen.web.templating import render
from kempen.web.views.campaign_pages import not_found

router = APIRouter(include_in_schema=False)
STATUS_LABELS = {TaskStatus.TODO: "To do", TaskStatus.IN_PROGRESS: "In progress", TaskStatus.DONE: "Done"}
ShortText = Annotated[str, Form(max_length=200)]
LongText = Annotated[str, Form(max_length=10_000)]


def acting(ctx: WebContext) -> Acting:
    return Acting.of(ctx.principal)


def card_context(session: Session, ctx: WebContext, campaign_id: int, *, problem: str = "",
                 form: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the card shows: tasks, the thread, the members to assign and mention."""
    campaign = get_campaign_or_raise(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
    members = workspace_members(session, workspace_id=ctx.workspace_id)
    today = utcnow().date()
    role = ctx.principal.role
    return {
        "ctx": ctx, "campaign": campaign, "members": members, "names": {m.user_id: m.label for m in members},
        "tasks": tasks.list_tasks(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id),
        "comments": comments.list_comments(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id),
        "today": today, "overdue": lambda t: tasks.is_overdue(t, today), "status_labels": STATUS_LABELS,
        "can_manage": role.includes(Role.MARKETER), "can_comment": role.includes(Role.ANALYST),
        "user_id": ctx.user.id, "problem": problem, "form": form or {},
    }


def _card(request: Request, session: Session, ctx: WebContext, campaign_id: int, **extra: Any) -> Response:
    return render(request, "teamwork/_card.html", card_context(session, ctx, campaign_id, **extra))


@router.get("/campaigns/{campaign_id}/teamwork")
def teamwork_card(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath) -> Response:
    """The tasks and comments card of a campaign page."""
    try:
        return _card(request, session, ctx, campaign_id)
    except NotFound:
        return not_found(request, ctx)


def _done(request: Request, session: Session, ctx: WebContext, campaign_id: int, anchor: str = "teamwork",
          problem: str = "", form: dict[str, str] | None = None) -> Response:
    """The card again for HTMX, or back to the campaign page for a plain form post."""
    if request.headers.get("HX-Request"):
        # 200 even for a refusal: HTMX swaps only 2xx answers, and the refusal shows in the card.
        return _card(request, session, ctx, campaign_id, problem=problem, form=form)
    return RedirectResponse(f"/campaigns/{campaign_id}#{anchor}", status_code=303)


def _attempt(request: Request, session: Session, ctx: WebContext, campaign_id: int, call: Any,
             form: dict[str, str] | None = None) -> Response:
    try:
        anchor = call()
    except NotFound:
        return not_found(request, ctx)
    except KempenError as exc:
        session.rollback()
        return _done(request, session, ctx, campaign_id, problem=exc.detail, form=form)
    return _done(request, session, ctx, campaign_id, anchor=anchor)


def _optional_id(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput("Choose the assignee from the list.")
    return int(value)


def _optional_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise InvalidInput("Give the due date as YYYY-MM-DD.") from None


@router.post("/campaigns/{campaign_id}/tasks")
def add_task(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, title: ShortText = "",
             description: LongText = "", assignee_id: Annotated[str, Form(max_length=20)] = "",
             due_on: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Add a task (marketers)."""
    form = {"title": title, "description": description, "assignee_id": assignee_id, "due_on": due_on}

    def call() -> str:
        if not title.strip():
            raise InvalidInput("Give the task a title, e.g. “Write copy”.")
        data = TaskCreate(title=title, description=description, assignee_id=_optional_id(assignee_id),
                          due_on=_optional_date(due_on))
        task = tasks.create_task(session, who=acting(ctx), campaign_id=campaign_id, data=data)
        return f"task-{task.id}"
    return _attempt(request, session, ctx, campaign_id, call, form)


def _task_campaign(session: Session, ctx: WebContext, task_id: int) -> int:
    return tasks.get_task_or_raise(session, workspace_id=ctx.workspace_id, task_id=task_id).campaign_id


@router.post("/tasks/{task_id}/status")
def set_task_status(request: Request, session: SessionDep, ctx: CsrfChecked, task_id: IdPath,
                    status: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Move a task to another status (marketers, or its assignee)."""
    try:
        campaign_id = _task_campaign(session, ctx, task_id)
    except NotFound:
        return not_found(request, ctx, "Task")

    def call() -> str:
        try:
            new_status = TaskStatus(status)
        except ValueError:
            raise InvalidInput("Choose to do, in progress or done.") from None
        tasks.update_task(session, who=acting(ctx), task_id=task_id, data=TaskUpdate(status=new_status))
        return f"task-{task_id}"
    return _attempt(request, session, ctx, campaign_id, call)


@router.post("/tasks/{task_id}/edit")
def edit_task(request: Request, session: SessionDep, ctx: CsrfChecked, task_id: IdPath, title: ShortText = "",
              description: LongText = "", assignee_id: Annotated[str, Form(max_length=20)] = "",
              due_on: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Change a task's title, details, assignee or due date (marketers); a new assignee is notified."""
    try:
        campaign_id = _task_campaign(session, ctx, task_id)
    except NotFound:
        return not_found(request, ctx, "Task")

    def call() -> str:
        if not title.strip():
            raise InvalidInput("A task needs a title.")
        data = TaskUpdate(title=title, description=description, assignee_id=_optional_id(assignee_id),
                          due_on=_optional_date(due_on))
        tasks.update_task(session, who=acting(ctx), task_id=task_id, data=data)
        return f"task-{task_id}"
    return _attempt(request, session, ctx, campaign_id, call)


@router.post("/tasks/{task_id}/delete")
def delete_task(request: Request, session: SessionDep, ctx: CsrfChecked, task_id: IdPath) -> Response:
    """Delete a task (marketers)."""
    try:
        campaign_id = _task_campaign(session, ctx, task_id)
    except NotFound:
        return not_found(request, ctx, "Task")

    def call() -> str:
        tasks.delete_task(session, who=acting(ctx), task_id=task_id)
        return "tasks"
    return _attempt(request, session, ctx, campaign_id, call)


@router.post("/campaigns/{campaign_id}/comments")
def add_comment(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                body: LongText = "") -> Response:
    """Comment on the campaign (analysts and up)."""
    def call() -> str:
        comment = comments.add_comment(session, who=acting(ctx), campaign_id=campaign_id, body=body)
        return f"comment-{comment.id}"
    return _attempt(request, session, ctx, campaign_id, call, {"body": body})


@router.post("/comments/{comment_id}/edit")
def edit_comment(request: Request, session: SessionDep, ctx: CsrfChecked, comment_id: IdPath,
                 body: LongText = "") -> Response:
    """Change the text of one's own comment."""
    try:
        campaign_id = comments.get_comment_or_raise(session, workspace_id=ctx.workspace_id,
                                                    comment_id=comment_id).campaign_id
    except NotFound:
        return not_found(request, ctx, "Comment")

    def call() -> str:
        comments.edit_comment(session, who=acting(ctx), comment_id=comment_id, body=body)
        return f"comment-{comment_id}"
    return _attempt(request, session, ctx, campaign_id, call)


# Notifications

@router.get("/notifications/bell")
def bell(request: Request, session: SessionDep, ctx: WebUser) -> Response:
    """The bell with the unread count (the top bar polls it)."""
    count = notifications.unread_count(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id)
    return render(request, "teamwork/_bell.html", {"ctx": ctx, "unread": count})


@router.get("/notifications")
def notifications_page(request: Request, session: SessionDep, ctx: WebUser, unread: bool = False,
                       cursor: str | None = None, saved: str = "") -> Response:
    """The member's notifications, newest first, with mark read and the email preference."""
    try:
        items, next_cursor = notifications.list_notifications(session, workspace_id=ctx.workspace_id,
                                                              user_id=ctx.user.id, unread_only=unread, cursor=cursor)
    except InvalidInput:
        return RedirectResponse("/notifications", status_code=303)
    return render(request, "teamwork/notifications.html", {
        "ctx": ctx, "nav": "notifications", "items": items, "next_cursor": next_cursor, "unread_only": unread,
        "unread": notifications.unread_count(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id),
        "email": notifications.email_wanted(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id),
        "saved": saved == "1"})


@router.post("/notifications/{notification_id}/open")
def open_notification(request: Request, session: SessionDep, ctx: CsrfChecked, notification_id: IdPath) -> Response:
    """Mark a notification read and go where it points."""
    try:
        note = notifications.mark_read(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id,
                                       notification_id=notification_id)
    except NotFound:
        return not_found(request, ctx, "Notification")
    return RedirectResponse(safe_next(note.link) if note.link else "/notifications", status_code=303)


@router.post("/notifications/read-all")
def read_all(session: SessionDep, ctx: CsrfChecked) -> Response:
    notifications.mark_all_read(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/preferences")
def save_preferences(session: SessionDep, ctx: CsrfChecked,
                     email: Annotated[str, Form(max_length=5)] = "") -> Response:
    """Turn notification emails on or off for this member in this workspace."""
    notifications.set_email_preference(session, workspace_id=ctx.workspace_id, user_id=ctx.user.id,
                                       email=email == "on")
    return RedirectResponse("/notifications?saved=1", status_code=303)


@router.get("/tasks")
def tasks_page(request: Request, session: SessionDep, ctx: WebUser, mine: bool = True,
               overdue: bool = False) -> Response:
    """Open tasks across campaigns: mine by default, or everyone's; optionally only the overdue ones."""
    found = tasks.list_tasks(session, workspace_id=ctx.workspace_id, assignee_id=ctx.user.id if mine else None,
                             open_only=True, overdue=overdue)
    members = workspace_members(session, workspace_id=ctx.workspace_id)
    today = utcnow().date()
    return render(request, "teamwork/tasks.html", {
        "ctx": ctx, "nav": "tasks", "tasks": found, "mine": mine, "overdue_only": overdue,
        "names": {m.user_id: m.label for m in members}, "overdue": lambda t: tasks.is_overdue(t, today),
        "campaign_names": tasks.campaign_names(session, workspace_id=ctx.workspace_id,
                                               campaign_ids={t.campaign_id for t in found}),
        "status_labels": STATUS_LABELS})
