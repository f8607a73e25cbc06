"""Budget pages: the month's overview (/budgets), a campaign's or programme's plan by channel and month, and
the by-month card the performance page loads into its costs section.

Forms post, then redirect back with `saved` or `problem` in the address (post/redirect/get). Marketers
change plans, admins the workspace's warning threshold; everyone with access reads.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from kempen.campaigns.service import get_campaign_or_raise
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, KempenError
from kempen.models import Role
from kempen.planning import budgets, calendar
from kempen.tracking.settings import get_tracking_settings
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=60)]
SAVED = {"month": "Budget saved.", "removed": "Month removed.", "period": "Planned period saved.",
         "period-cleared": "Planned period removed.", "threshold": "Warning threshold saved."}


def _owner_url(kind: str, owner_id: int) -> str:
    return f"/{kind}s/{owner_id}/budget"


def _back(url: str, **params: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def _error(request: Request, ctx: WebContext, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "calendar", "status_code": status, "title": title,
                                          "message": message}, status_code=status)


def _guarded(ctx: WebContext, url: str, role: Role, action: Any) -> Response:
    """Run a change for `role` and up; come back to `url` with what was saved or the problem."""
    if not ctx.principal.role.includes(role):
        # Not a form mistake to show on the page: the page offers no form to this role.
        return PlainTextResponse(f"This needs the {role.value} role or higher.", status_code=403)
    try:
        return _back(url, saved=action())
    except ValidationError as exc:
        return _back(url, problem="; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    except KempenError as exc:
        return _back(url, problem=exc.detail)


def _month(text: str) -> date:
    """'2026-12' (an <input type=month>) or '2026-12-01'."""
    try:
        return date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a month; choose one as YYYY-MM.") from None


def _decimal(value: str) -> Decimal | str:
    try:
        return Decimal(value.strip().replace(",", "") or "x")
    except InvalidOperation:
        return value  # validation names it


# The overview

@router.get("/budgets")
def overview(request: Request, session: SessionDep, ctx: WebUser, month: str = "", saved: str = "",
             problem: str = "") -> Response:
    """Every plan of a month against actual spend, warnings first."""
    try:
        shown = calendar.parse_month(month or None, utcnow().date())
    except InvalidInput as exc:
        return _error(request, ctx, 400, "That is not a month", exc.detail)
    owners = budgets.month_overview(session, workspace_id=ctx.workspace_id, month=shown)
    previous = (shown - timedelta(days=1)).replace(day=1)
    return render(request, "budgets/overview.html", {
        "ctx": ctx, "nav": "calendar", "month": shown, "owners": owners, "previous": previous,
        "following": budgets.next_month(shown), "warn_percent": budgets.warn_percent(session, workspace_id=ctx.workspace_id),
        "currency": get_tracking_settings(session, workspace_id=ctx.workspace_id).currency,
        "can_admin": ctx.principal.role.includes(Role.ADMIN), "saved": SAVED.get(saved, ""), "problem": problem[:300]})


@router.post("/budgets/settings")
def save_threshold(session: SessionDep, ctx: CsrfChecked, warn_percent: Text = "") -> Response:
    def run() -> str:
        value = _decimal(warn_percent)
        if not isinstance(value, Decimal):
            raise InvalidInput("The threshold is a number, e.g. 90.")
        budgets.set_warn_percent(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, percent=value)
        return "threshold"
    return _guarded(ctx, "/budgets", Role.ADMIN, run)


# A campaign's or a programme's plan

def _plan_page(request: Request, session: SessionDep, ctx: WebContext, kind: str, owner_id: int, name: str,
               saved: str, problem: str) -> Response:
    is_campaign = kind == "campaign"
    lines = budgets.month_lines(session, workspace_id=ctx.workspace_id, campaign_id=owner_id if is_campaign else None,
                                programme_id=None if is_campaign else owner_id)
    period = calendar.get_planned_period(session, workspace_id=ctx.workspace_id, campaign_id=owner_id) \
        if kind == "campaign" else None
    return render(request, "budgets/plan.html", {
        "ctx": ctx, "nav": "campaigns" if kind == "campaign" else "calendar", "kind": kind, "owner_id": owner_id,
        "name": name, "lines": lines, "warnings": budgets.warnings(lines), "period": period,
        "url": _owner_url(kind, owner_id), "can_edit": ctx.principal.role.includes(Role.MARKETER),
        "currency": get_tracking_settings(session, workspace_id=ctx.workspace_id).currency,
        "this_month": utcnow().date().strftime("%Y-%m"), "saved": SAVED.get(saved, ""), "problem": problem[:300]})


@router.get("/campaigns/{campaign_id}/budget")
def campaign_plan(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath, saved: str = "",
                  problem: str = "") -> Response:
    """A campaign's budget by channel and month, and its planned period."""
    campaign = get_campaign_or_raise(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
    return _plan_page(request, session, ctx, "campaign", campaign_id, campaign.name, saved, problem)


@router.get("/programmes/{programme_id}/budget")
def programme_plan(request: Request, session: SessionDep, ctx: WebUser, programme_id: IdPath, saved: str = "",
                   problem: str = "") -> Response:
    """A programme's budget by channel and month against its campaigns' actual cost."""
    programme = budgets.get_programme_or_raise(session, workspace_id=ctx.workspace_id, programme_id=programme_id)
    return _plan_page(request, session, ctx, "programme", programme_id, programme.name, saved, problem)


def _set_month(session: SessionDep, ctx: WebContext, ids: dict[str, int | None], channel: str, month: str,
               amount: str, warn_percent: str) -> str:
    data = budgets.MonthlyBudgetSet.model_validate({
        "channel": channel.strip().lower(), "month": _month(month.strip()), "amount": _decimal(amount),
        "warn_percent": _decimal(warn_percent) if warn_percent.strip() else None})
    budgets.set_monthly_budget(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, data=data, **ids)
    return "month"


def _delete_month(session: SessionDep, ctx: WebContext, ids: dict[str, int | None], channel: str, month: str) -> str:
    budgets.delete_monthly_budget(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                  channel=channel.strip(), month=_month(month.strip()), **ids)
    return "removed"


@router.post("/campaigns/{campaign_id}/budget/months")
def campaign_set_month(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, channel: Text = "",
                       month: Text = "", amount: Text = "", warn_percent: Text = "") -> Response:
    return _guarded(ctx, _owner_url("campaign", campaign_id), Role.MARKETER, lambda: _set_month(
        session, ctx, {"campaign_id": campaign_id}, channel, month, amount, warn_percent))


@router.post("/campaigns/{campaign_id}/budget/months/delete")
def campaign_delete_month(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, channel: Text = "",
                          month: Text = "") -> Response:
    return _guarded(ctx, _owner_url("campaign", campaign_id), Role.MARKETER, lambda: _delete_month(
        session, ctx, {"campaign_id": campaign_id}, channel, month))


@router.post("/programmes/{programme_id}/budget/months")
def programme_set_month(session: SessionDep, ctx: CsrfChecked, programme_id: IdPath, channel: Text = "",
                        month: Text = "", amount: Text = "", warn_percent: Text = "") -> Response:
    return _guarded(ctx, _owner_url("programme", programme_id), Role.MARKETER, lambda: _set_month(
        session, ctx, {"programme_id": programme_id}, channel, month, amount, warn_percent))


@router.post("/programmes/{programme_id}/budget/months/delete")
def programme_delete_month(session: SessionDep, ctx: CsrfChecked, programme_id: IdPath, channel: Text = "",
                           month: Text = "") -> Response:
    return _guarded(ctx, _owner_url("programme", programme_id), Role.MARKETER, lambda: _delete_month(
        session, ctx, {"programme_id": programme_id}, channel, month))


@router.post("/campaigns/{campaign_id}/budget/period")
def campaign_set_period(session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath, starts_on: Text = "",
                        ends_on: Text = "", clear: Text = "") -> Response:
    """Plan (or, with `clear`, remove) the days the campaign runs."""
    def run() -> str:
        if clear:
            calendar.clear_planned_period(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                          campaign_id=campaign_id)
            return "period-cleared"
        try:
            first, last = date.fromisoformat(starts_on), date.fromisoformat(ends_on)
        except ValueError:
            raise InvalidInput("Give the first and last day as dates.") from None
        calendar.set_planned_period(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                    campaign_id=campaign_id, starts_on=first, ends_on=last)
        return "period"
    return _guarded(ctx, _owner_url("campaign", campaign_id), Role.MARKETER, run)


# The performance page's card

@router.get("/campaigns/{campaign_id}/budget/card")
def campaign_month_card(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath) -> Response:
    """The by-month lines and warnings, loaded by HTMX into the performance page's costs section."""
    lines = budgets.month_lines(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
    return render(request, "budgets/_month_card.html", {
        "ctx": ctx, "lines": lines, "warnings": budgets.warnings(lines), "url": _owner_url("campaign", campaign_id),
        "currency": get_tracking_settings(session, workspace_id=ctx.workspace_id).currency})
