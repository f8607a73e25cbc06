"""The campaign page's lifecycle buttons: review and approval (campaigns), launch, schedule, pause, resume
and cancel (delivery engine), archive, duplicate and delete. Each posts a form with the CSRF token and comes
back to the campaign page, with the refusal shown on the page when the service says no."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.campaigns import lifecycle
from kempen.campaigns import service as campaigns
from kempen.delivery import control
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import InvalidInput, KempenError, NotFound
from kempen.models import Role
from kempen.teamwork import comments as review
from kempen.teamwork.actors import Acting
from kempen.web.auth import CsrfChecked, WebContext
from kempen.web.views.campaign_pages import campaign_page, forbidden, not_found

router = APIRouter(include_in_schema=False)


def review_step(call: Callable[..., Any], role: Role) -> Callable[..., Any]:
    """A review step (teamwork/comments.py, which also writes the thread and notifies) called like the others.

    `_run` has checked the role already; a web actor is always a user ("user:ID").
    """
    def step(session: Session, *, workspace_id: int, campaign_id: int, actor: str) -> Any:
        user_id = int(actor.removeprefix("user:")) if actor.startswith("user:") else None
        return call(session, who=Acting(workspace_id=workspace_id, role=role, actor=actor, user_id=user_id),
                    campaign_id=campaign_id)
    return step


# (needed role, service call, notice shown after it); the call gets session, workspace_id, campaign_id, actor.
Step = Callable[..., Any]
STEPS: dict[str, tuple[Role, Step, str]] = {
    "submit": (Role.MARKETER, review_step(review.submit_for_review, Role.MARKETER), "submitted"),
    "approve": (Role.MANAGER, review_step(review.approve, Role.MANAGER), "approved"),
    "unschedule": (Role.MARKETER, lifecycle.unschedule, "unscheduled"),
    "launch": (Role.MARKETER, control.launch_campaign, "launched"),
    "pause": (Role.MARKETER, control.pause_campaign, "paused"),
    "resume": (Role.MARKETER, control.resume_campaign, "resumed"),
    "cancel": (Role.MARKETER, control.cancel_campaign, "cancelled"),
    "archive": (Role.MARKETER, lifecycle.archive, "archived"),
}
NEEDS = {Role.MARKETER: "the marketer role", Role.MANAGER: "the manager role", Role.ADMIN: "the admin role"}


def _refused(request: Request, session: Session, ctx: WebContext, campaign_id: int, exc: KempenError) -> Response:
    """Show the campaign page again with why the step was refused; nothing of the attempt is kept."""
    session.rollback()
    try:
        return campaign_page(request, session, ctx, campaign_id, problem=exc.detail, status_code=exc.status)
    except NotFound:
        return not_found(request, ctx)


def _allowed(ctx: WebContext, role: Role) -> bool:
    return ctx.principal.role.includes(role)


def _run(request: Request, session: Session, ctx: WebContext, campaign_id: int, role: Role, notice: str,
         call: Callable[[], Any]) -> Response:
    if not _allowed(ctx, role):
        return forbidden(request, ctx, f"This step needs {NEEDS[role]}.")
    try:
        call()
    except NotFound:
        return not_found(request, ctx)
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    return RedirectResponse(f"/campaigns/{campaign_id}?done={notice}", status_code=303)


def parse_start(value: str) -> datetime:
    """A datetime-local value ("2026-05-01T09:30"), read as UTC like every time the UI shows."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("Give the start as a date and time, e.g. 2026-05-01 09:30 (UTC).") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@router.post("/campaigns/{campaign_id}/schedule")
def schedule(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
             at: Annotated[str, Form(max_length=40)] = "") -> Response:
    """Launch the campaign at the given time (UTC)."""
    def call() -> Any:
        return control.schedule_campaign(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                         actor=ctx.principal.actor, at=parse_start(at))
    return _run(request, session, ctx, campaign_id, Role.MARKETER, "scheduled", call)


@router.post("/campaigns/{campaign_id}/request-changes")
def request_changes(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                    comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Send a campaign in review back to draft, with what should change."""
    def call() -> Any:
        if not comment.strip():
            raise InvalidInput("Say what should change, so that the author knows what to fix.")
        return review.request_changes(session, who=Acting.of(ctx.principal), campaign_id=campaign_id,
                                      comment=comment.strip())
    return _run(request, session, ctx, campaign_id, Role.MANAGER, "changes-requested", call)


@router.post("/campaigns/{campaign_id}/duplicate")
def duplicate(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath) -> Response:
    """Copy the campaign into a new draft and open it."""
    if not _allowed(ctx, Role.MARKETER):
        return forbidden(request, ctx, f"This step needs {NEEDS[Role.MARKETER]}.")
    try:
        copy = campaigns.copy_campaign(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                       campaign_id=campaign_id)
    except NotFound:
        return not_found(request, ctx)
    except KempenError as exc:
        return _refused(request, session, ctx, campaign_id, exc)
    done = "duplicated-without-past-objectives" if copy.objectives_left_out else "duplicated"
    return RedirectResponse(f"/campaigns/{copy.campaign.id}?done={done}", status_code=303)


@router.post("/campaigns/{campaign_id}/delete")
def delete(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath) -> Response:
    """Delete a draft campaign (the page asks first)."""
    def call() -> Any:
        return campaigns.delete_campaign(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                         campaign_id=campaign_id)
    response = _run(request, session, ctx, campaign_id, Role.MARKETER, "deleted", call)
    if isinstance(response, RedirectResponse):
        return RedirectResponse("/campaigns?deleted=1", status_code=303)
    return response


def _step_route(step: str, role: Role, service_call: Step, notice: str) -> Callable[..., Response]:
    def handler(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath) -> Response:
        def call() -> Any:
            return service_call(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                actor=ctx.principal.actor)
        return _run(request, session, ctx, campaign_id, role, notice, call)

    handler.__name__ = f"campaign_{step.replace('-', '_')}"
    handler.__doc__ = f"{step.capitalize()} the campaign."
    return handler


# One route per step (not a catch-all /{step}, which would shadow the other campaign routes).
for _step, (_role, _call, _notice) in STEPS.items():
    router.add_api_route(f"/campaigns/{{campaign_id}}/{_step}", _step_route(_step, _role, _call, _notice),
                         methods=["POST"])
