"""What the campaign views share: role checks, error pages, and the campaign page with everything on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.campaigns import schemas
from kempen.campaigns import service as campaigns
from kempen.campaigns.messages import message_sender
from kempen.campaigns.settings import get_send_settings
from kempen.campaigns.winner import FALLBACK_LABELS, METRIC_LABELS, describe_settings
from kempen.models import EDITABLE_STATUSES, CampaignStatus, Channel, Role
from kempen.segments import service as segments
from kempen.web.auth import WebContext
from kempen.web.templating import render
from kempen.web.views.campaign_progress import progress_view

S = CampaignStatus
# Statuses in which deliveries exist and the progress panel has something to show.
LAUNCHED = frozenset({S.RUNNING, S.PAUSED, S.COMPLETED, S.CANCELLED, S.ARCHIVED})
NOTICES = {
    "settings": "Settings saved.", "message": "Message added.", "message-deleted": "Message removed.",
    "variant-deleted": "Variant removed.", "submitted": "Submitted for review.", "approved": "Approved.",
    "changes-requested": "Sent back to draft with your comment.", "scheduled": "Scheduled.",
    "unscheduled": "Taken off the schedule.", "launched": "Launched: sending has started.", "paused": "Paused.",
    "resumed": "Resumed.", "cancelled": "Cancelled: nothing more will be sent.", "archived": "Archived.",
    "duplicated": "This is a copy: a new draft.",
    "duplicated-without-past-objectives": "This is a copy: a new draft. Objectives whose deadline had passed "
                                          "were left out: add new ones before review.",
    "winner-settings": "Automatic winner saved.", "winner": "Winner picked: it goes to the rest of the audience.",
}


@dataclass(frozen=True)
class Action:
    """A button on the campaign page: the endpoint it posts to and how it looks."""

    name: str
    label: str
    style: str = "button"
    confirm: str | None = None   # asks first, in a small pop-over
    form: str | None = None      # extra input the pop-over asks for: "comment" or "datetime"


def can_edit(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.MARKETER)


def can_approve(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.MANAGER)


def not_found(request: Request, ctx: WebContext, what: str = "Campaign") -> Response:
    """The same page for a campaign that does not exist and one of another workspace."""
    return render(request, "error.html", {"ctx": ctx, "nav": "campaigns", "status_code": 404,
                                          "title": f"{what} not found",
                                          "message": f"There is no such {what.lower()} in this workspace."},
                  status_code=404)


def forbidden(request: Request, ctx: WebContext, message: str) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "campaigns", "status_code": 403,
                                          "title": "You cannot do that here", "message": message},
                  status_code=403)


def invalid_fields(exc: ValidationError) -> dict[str, str]:
    """Pydantic's complaints by field name, in words."""
    return {str(e["loc"][0]) if e["loc"] else "": e["msg"].removeprefix("Value error, ") for e in exc.errors()}


def actions_for(status: CampaignStatus, ctx: WebContext, *, require_approval: bool) -> list[Action]:
    """The lifecycle buttons this member may press on a campaign in this status."""
    found: list[Action] = []
    marketer, admin = can_edit(ctx), can_approve(ctx)
    may_skip_review = not require_approval
    if marketer and status == S.DRAFT:
        found.append(Action("submit", "Submit for review", "button" if may_skip_review else "button button-primary"))
    if admin and status == S.IN_REVIEW:
        found.append(Action("approve", "Approve", "button button-primary"))
    if admin and status in (S.IN_REVIEW, S.APPROVED):
        found.append(Action("request-changes", "Request changes", confirm="What should change?", form="comment"))
    if marketer and (status in (S.APPROVED, S.SCHEDULED) or (status == S.DRAFT and may_skip_review)):
        found.append(Action("schedule", "Reschedule…" if status == S.SCHEDULED else "Schedule…",
                            confirm="Start sending at (UTC)", form="datetime"))
        found.append(Action("launch", "Launch now", "button button-primary",
                            confirm="Start sending to the whole audience now?"))
    if marketer and status == S.SCHEDULED:
        found.append(Action("unschedule", "Unschedule"))
    if marketer and status == S.RUNNING:
        found.append(Action("pause", "Pause"))
    if marketer and status == S.PAUSED:
        found.append(Action("resume", "Resume", "button button-primary"))
    if marketer and status not in (S.COMPLETED, S.CANCELLED, S.ARCHIVED):
        found.append(Action("cancel", "Cancel campaign…", "button button-ghost",
                            confirm="Cancel this campaign? Messages not sent yet will never be sent. "
                                    "This cannot be undone."))
    if marketer and status in (S.COMPLETED, S.CANCELLED):
        found.append(Action("archive", "Archive"))
    return found


WAIT_UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
RUNNING_OR_PAUSED = frozenset({S.RUNNING, S.PAUSED})


def winner_form_of(detail: schemas.Campaign) -> dict[str, Any]:
    """The automatic winner's settings as the form shows them (the wait in its largest whole unit)."""
    minutes = detail.winner_wait_minutes
    unit = next(name for name in ("days", "hours", "minutes") if minutes % WAIT_UNITS[name] == 0)
    return {"winner_metric": detail.winner_metric or "", "winner_test_percent": str(detail.winner_test_percent),
            "wait_amount": str(minutes // WAIT_UNITS[unit]), "wait_unit": unit,
            "winner_fallback": detail.winner_fallback}


@dataclass(frozen=True)
class WinnerCard:
    """The automatic winner's card: its settings form or their summary, and the "pick now" choice."""

    form: dict[str, Any]
    errors: dict[str, str]
    summary: str
    tested: bool             # a message has two or more variants to test
    can_pick: bool           # a marketer may decide it now
    variants: list[tuple[int, str]]  # (id, "Email: B") to pick from

    metrics: ClassVar[dict[str, str]] = METRIC_LABELS
    fallbacks: ClassVar[dict[str, str]] = FALLBACK_LABELS


def winner_card(detail: schemas.CampaignDetail, *, can_edit: bool, form: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None) -> WinnerCard:
    tested = [m for m in detail.messages if len(m.variants) >= 2]
    undecided = bool(detail.winner_metric) and detail.winner_decided_at is None
    many = len(tested) > 1
    return WinnerCard(
        form=form or winner_form_of(detail), errors=errors or {}, summary=describe_settings(detail),
        tested=bool(tested), can_pick=can_edit and undecided and detail.status in RUNNING_OR_PAUSED,
        variants=[(v.id, f"{m.name}: {v.name}" if many else v.name) for m in tested for v in m.variants])


def _segment_choices(session: Session, workspace_id: int) -> list[Any]:
    return segments.list_segments(session, workspace_id=workspace_id)


def campaign_page(request: Request, session: Session, ctx: WebContext, campaign_id: int, *,
                  problem: str | None = None, settings_form: dict[str, Any] | None = None,
                  settings_errors: dict[str, str] | None = None, winner_form: dict[str, Any] | None = None,
                  winner_errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """Render the campaign page (raises NotFound for another workspace's campaign)."""
    detail = campaigns.campaign_detail(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
    editable = detail.status in EDITABLE_STATUSES
    send_settings = get_send_settings(session, workspace_id=ctx.workspace_id)
    readiness = (campaigns.readiness_problems(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
                 if editable else [])
    warnings = (campaigns.readiness_warnings(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
                if editable else [])
    progress = (progress_view(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
                if detail.status in LAUNCHED or detail.launched_at else None)
    form = settings_form or {
        "name": detail.name, "description": detail.description,
        "segment_id": str(detail.segment_id or ""), "holdout_percent": f"{detail.holdout_percent:g}",
        "respect_quiet_hours": detail.respect_quiet_hours, "respect_frequency_cap": detail.respect_frequency_cap,
    }
    notice = NOTICES.get(request.query_params.get("saved") or request.query_params.get("done") or "")
    return render(request, "campaigns/detail.html", {
        "ctx": ctx, "nav": "campaigns", "campaign": detail, "editable": editable, "readiness": readiness,
        "progress": progress, "send_settings": send_settings, "form": form, "errors": settings_errors or {},
        "problem": problem, "notice": notice, "can_edit": can_edit(ctx) and editable,
        "is_marketer": can_edit(ctx), "segments": _segment_choices(session, ctx.workspace_id),
        "actions": actions_for(detail.status, ctx, require_approval=send_settings.require_approval),
        "channels": [Channel.EMAIL, Channel.SMS, Channel.PUSH], "readiness_warnings": warnings,
        "winner": winner_card(detail, can_edit=can_edit(ctx), form=winner_form, errors=winner_errors),
        "senders": {m.id: message_sender(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                                         message_id=m.id)[1] for m in detail.messages if m.channel == Channel.EMAIL},
    }, status_code=status_code)
