"""The universal holdout's pages: its settings (admins change them) and its report (the total lift).

The settings form takes dates, not times: a start today means now, an end date is inclusive (the
holdout stops at the end of that day, UTC). The report draws each lift as an interval on a line
through zero, server-rendered SVG, so uncertainty is in view without JavaScript.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from kempen.experiments import universal_holdout as holdout
from kempen.experiments.schemas import EstimateOut
from kempen.experiments.universal_holdout import HoldoutState
from kempen.experiments.universal_lift import universal_lift
from kempen.http.deps import SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import KempenError
from kempen.models import Role
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/settings/universal-holdout"
_NOTICES = {"saved": "Settings saved.", "enabled": "The universal holdout is on.",
            "ended": "The universal holdout has ended; its report stays until you start a new period.",
            "cancelled": "The scheduled holdout was cancelled."}


def _error(request: Request, ctx: WebContext, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "reports", "status_code": status, "title": title,
                                          "message": message}, status_code=status)


def _form_of(out: holdout.UniversalHoldoutOut) -> dict[str, str]:
    """The form's fields from the settings: dates as the user typed them (an end is shown inclusive)."""
    end = out.ends_at - timedelta(microseconds=1) if out.ends_at else None
    start = out.starts_at.date().isoformat() if out.starts_at else ""
    return {"percent": f"{out.percent.normalize():f}", "starts_on": start,
            "ends_on": end.date().isoformat() if end else ""}


def _page(request: Request, ctx: WebContext, out: holdout.UniversalHoldoutOut, *, form: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, problem: str = "", notice: str = "", status_code: int = 200) -> Response:
    return render(request, "universal_holdout/settings.html", {
        "ctx": ctx, "nav": "reports", "h": out, "form": form or _form_of(out), "errors": errors or {},
        "problem": problem, "notice": _NOTICES.get(notice, ""), "can_change": ctx.principal.role.includes(Role.ADMIN),
        "today": utcnow().date().isoformat()}, status_code=status_code)


@router.get(PAGE)
def settings_page(request: Request, session: SessionDep, ctx: WebUser, notice: str = "") -> Response:
    """The holdout's state, share and period; a form for admins."""
    row = holdout.get_universal_holdout(session, workspace_id=ctx.workspace_id)
    return _page(request, ctx, holdout.universal_holdout_out(session, row), notice=notice[:20])


def _day(value: str, field: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise _FormError(field, "Give a date as YYYY-MM-DD.") from None


class _FormError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _settings_from(form: dict[str, str], state: HoldoutState, now: datetime) -> holdout.UniversalHoldoutSet:
    """What the form asks for; fields a running holdout cannot change are left out (they are disabled)."""
    given: dict[str, Any] = {}
    if state is not HoldoutState.RUNNING:
        given["percent"] = form["percent"] or None
        start = _day(form["starts_on"], "starts_on")
        # Today means now; an earlier day is passed on, for the service to refuse with its reason.
        given["starts_at"] = None if start is None or start == now.date() else datetime.combine(start, time.min, UTC)
    end = _day(form["ends_on"], "ends_on")
    given["ends_at"] = None if end is None else datetime.combine(end + timedelta(days=1), time.min, UTC)
    try:
        return holdout.UniversalHoldoutSet.model_validate(given)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _FormError("percent", "The share must be a number from 1 to 20, at most two decimals."
                         if first["loc"] and first["loc"][0] == "percent" else first["msg"]) from None


@router.post(PAGE)
async def save_settings(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Enable a new period or change the current one (admins); problems are shown on the form."""
    if not ctx.principal.role.includes(Role.ADMIN):
        return _error(request, ctx, 403, "You cannot do that here",
                      "Changing the universal holdout needs the admin role.")
    raw = await request.form()
    form = {key: str(raw.get(key, "")).strip()[:40] for key in ("percent", "starts_on", "ends_on")}
    now = utcnow()
    row = holdout.get_universal_holdout(session, workspace_id=ctx.workspace_id)
    state = holdout.holdout_state(row, now)
    try:
        data = _settings_from(form, state, now)
        holdout.set_universal_holdout(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, data=data,
                                      now=now)
    except _FormError as exc:
        return _page(request, ctx, holdout.universal_holdout_out(session, row), form=form,
                     errors={exc.field: exc.message}, status_code=422)
    except KempenError as exc:
        session.rollback()
        row = holdout.get_universal_holdout(session, workspace_id=ctx.workspace_id)
        return _page(request, ctx, holdout.universal_holdout_out(session, row), form=form, problem=exc.detail,
                     status_code=exc.status)
    notice = "enabled" if state in (HoldoutState.OFF, HoldoutState.ENDED) else "saved"
    return RedirectResponse(f"{PAGE}?notice={notice}", status_code=303)


@router.post(PAGE + "/end")
def end_holdout(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """End the running period now, or cancel a scheduled one (admins)."""
    if not ctx.principal.role.includes(Role.ADMIN):
        return _error(request, ctx, 403, "You cannot do that here",
                      "Ending the universal holdout needs the admin role.")
    try:
        row = holdout.end_universal_holdout(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor)
    except KempenError as exc:
        row = holdout.get_universal_holdout(session, workspace_id=ctx.workspace_id)
        return _page(request, ctx, holdout.universal_holdout_out(session, row), problem=exc.detail,
                     status_code=exc.status)
    return RedirectResponse(f"{PAGE}?notice={'ended' if row.enabled else 'cancelled'}", status_code=303)


def interval_bar(estimate: EstimateOut | None, scale: float = 1.0, width: int = 320,
                 height: int = 28) -> dict[str, Any] | None:
    """Geometry of one interval on a line through zero: the axis spans the interval and zero, with a margin."""
    if estimate is None or estimate.estimate is None or estimate.low is None or estimate.high is None:
        return None
    low, mid, high = (v * scale for v in (estimate.low, estimate.estimate, estimate.high))
    left, right = min(low, 0.0), max(high, 0.0)
    span = (right - left) or 1.0
    left, right = left - span * 0.08, right + span * 0.08

    def x(value: float) -> float:
        return round((value - left) / (right - left) * width, 2)
    return {"width": width, "height": height, "zero": x(0.0), "low": x(low), "high": x(high), "mid": x(mid),
            "y": height / 2, "above_zero": low > 0, "below_zero": high < 0}


@router.get("/reports/universal-holdout")
def report_page(request: Request, session: SessionDep, ctx: WebUser) -> Response:
    """The total lift of all campaigns: held out against everyone else, with intervals and one sentence."""
    report = universal_lift(session, workspace_id=ctx.workspace_id)
    bars = {}
    if report.conversion is not None and report.revenue is not None:
        bars = {"conversion": interval_bar(report.conversion.difference, 100),
                "revenue": interval_bar(report.revenue.difference)}
    return render(request, "universal_holdout/report.html", {"ctx": ctx, "nav": "reports", "r": report,
                                                              "bars": bars})
