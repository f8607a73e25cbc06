"""The automatic winner on the campaign page: its settings form (before launch) and "Pick winner now"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.campaigns import schemas
from kempen.campaigns import service as campaigns
from kempen.delivery import winner
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import KempenError, NotFound
from kempen.web.auth import CsrfChecked, WebContext
from kempen.web.views.campaign_pages import (
    WAIT_UNITS,
    campaign_page,
    can_edit,
    forbidden,
    invalid_fields,
    not_found,
)

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=40)]
NEEDS_MARKETER = "Changing campaigns needs the marketer role."


def _whole(value: str, field: str) -> int:
    text = value.strip().rstrip("%").strip()
    if not text.isdigit() or len(text) > 6:
        raise ValueError(field)
    return int(text)


def winner_update(form: dict[str, Any]) -> schemas.CampaignUpdate:
    """The form's fields as a campaign update; ValueError naming the field that is not a whole number."""
    minutes = _whole(form["wait_amount"], "wait") * WAIT_UNITS.get(form["wait_unit"], 60)
    return schemas.CampaignUpdate(
        winner_metric=form["winner_metric"] or None, winner_test_percent=_whole(form["winner_test_percent"],
                                                                               "winner_test_percent"),
        winner_wait_minutes=minutes, winner_fallback=form["winner_fallback"] or "first")


def _again(request: Request, session: Session, ctx: WebContext, campaign_id: int, form: dict[str, Any],
           errors: dict[str, str] | None = None, problem: str | None = None, status_code: int = 422) -> Response:
    session.rollback()
    return campaign_page(request, session, ctx, campaign_id, winner_form=form, winner_errors=errors,
                         problem=problem, status_code=status_code)


@router.post("/campaigns/{campaign_id}/winner-settings")
def save_winner_settings(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                         winner_metric: Short = "", winner_test_percent: Short = "20", wait_amount: Short = "4",
                         wait_unit: Short = "hours", winner_fallback: Short = "first") -> Response:
    """Turn the automatic winner on or off and set its metric, test share, wait and fallback."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    form = {"winner_metric": winner_metric, "winner_test_percent": winner_test_percent, "wait_amount": wait_amount,
            "wait_unit": wait_unit, "winner_fallback": winner_fallback}
    try:
        campaigns.update_campaign(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                  campaign_id=campaign_id, data=winner_update(form))
    except NotFound:
        return not_found(request, ctx)
    except ValueError as exc:  # also pydantic's ValidationError
        errors = _errors(exc)
        return _again(request, session, ctx, campaign_id, form, errors, problem="Not saved: " + "; ".join(
            errors.values()))
    except KempenError as exc:
        return _again(request, session, ctx, campaign_id, form, problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/campaigns/{campaign_id}?saved=winner-settings#winner", status_code=303)


def _errors(exc: ValueError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        found = invalid_fields(exc)
        if "winner_wait_minutes" in found:
            found["wait"] = "Wait between 30 minutes and 7 days."
        return {key: message for key, message in found.items() if key != "winner_wait_minutes"}
    field = str(exc)
    return {field: "Give a whole number."}


@router.post("/campaigns/{campaign_id}/winner")
def pick_winner(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                variant_id: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Decide the automatic winner now (by the figures so far, or the variant chosen) and send it to the rest."""
    if not can_edit(ctx):
        return forbidden(request, ctx, "Picking the winner needs the marketer role.")
    try:
        winner.pick_winner_now(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id,
                               actor=ctx.principal.actor,
                               variant_id=int(variant_id) if variant_id.strip().isdigit() else None)
    except NotFound:
        return not_found(request, ctx)
    except KempenError as exc:
        session.rollback()
        return campaign_page(request, session, ctx, campaign_id, problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/campaigns/{campaign_id}?done=winner", status_code=303)
