"""Budgets per channel and month of campaigns and programmes, variance and warnings, planned periods."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi import status as http
from pydantic import BaseModel, Field

from kempen.campaigns.service import get_campaign_or_raise
from kempen.http.deps import Admin, IdPath, Marketer, SessionDep, Viewer
from kempen.kit.errors import InvalidInput
from kempen.planning import budgets, calendar
from kempen.planning.budgets import MonthLine, MonthlyBudgetOut, MonthlyBudgetSet

router = APIRouter(tags=["budgets"])
CAMPAIGN = "/campaigns/{campaign_id}"
PROGRAMME = "/programmes/{programme_id}"
MonthPath = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]
ChannelPath = Annotated[str, Path(min_length=1, max_length=40)]
MonthQuery = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


class BudgetSettingsUpdate(BaseModel):
    warn_percent: Decimal = Field(gt=0, le=500, max_digits=5, decimal_places=2)


class PlannedPeriod(BaseModel):
    starts_on: date
    ends_on: date


class BudgetAlertOut(BaseModel):
    campaign_id: int | None
    programme_id: int | None
    line: MonthLine


def _month(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise InvalidInput(f"{text!r} is not a month; write it as YYYY-MM.") from None


def _until(text: str | None) -> date | None:
    month = _month(text)
    return None if month is None else budgets.next_month(month)


# Settings

@router.get("/settings/budgets", response_model=budgets.BudgetSettingsOut, tags=["settings"])
def get_budget_settings(session: SessionDep, principal: Viewer) -> Any:
    """The workspace's budget warning threshold, in % of the plan (default 90)."""
    return budgets.BudgetSettingsOut(warn_percent=budgets.warn_percent(session, workspace_id=principal.workspace_id))


@router.put("/settings/budgets", response_model=budgets.BudgetSettingsOut, tags=["settings"])
def update_budget_settings(session: SessionDep, principal: Admin, data: BudgetSettingsUpdate) -> Any:
    """Change the workspace's warning threshold (admins)."""
    value = budgets.set_warn_percent(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                     percent=data.warn_percent)
    return budgets.BudgetSettingsOut(warn_percent=value)


# A campaign's months

@router.get(CAMPAIGN + "/monthly-budgets", response_model=list[MonthlyBudgetOut])
def list_campaign_months(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    """The campaign's planned amount per channel and month."""
    return budgets.list_monthly_budgets(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)


@router.put(CAMPAIGN + "/monthly-budgets", response_model=MonthlyBudgetOut)
def set_campaign_month(session: SessionDep, principal: Marketer, campaign_id: IdPath, data: MonthlyBudgetSet) -> Any:
    """Plan one channel's amount in one month; an approved or scheduled campaign goes back to review."""
    return budgets.set_monthly_budget(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                      campaign_id=campaign_id, data=data)


@router.delete(CAMPAIGN + "/monthly-budgets/{channel}/{month}", status_code=http.HTTP_204_NO_CONTENT)
def delete_campaign_month(session: SessionDep, principal: Marketer, campaign_id: IdPath, channel: ChannelPath,
                          month: MonthPath) -> None:
    budgets.delete_monthly_budget(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                  campaign_id=campaign_id, channel=channel, month=_month(month) or date.min)


@router.get(CAMPAIGN + "/budget-months", response_model=list[MonthLine])
def campaign_month_lines(session: SessionDep, principal: Viewer, campaign_id: IdPath,
                         since: MonthQuery = None, until: MonthQuery = None) -> Any:
    """Planned against actual per channel and month, with the variance and warning level; `until` inclusive."""
    return budgets.month_lines(session, workspace_id=principal.workspace_id, campaign_id=campaign_id,
                               since=_month(since), until=_until(until))


# A programme's months

@router.get(PROGRAMME + "/monthly-budgets", response_model=list[MonthlyBudgetOut])
def list_programme_months(session: SessionDep, principal: Viewer, programme_id: IdPath) -> Any:
    return budgets.list_monthly_budgets(session, workspace_id=principal.workspace_id, programme_id=programme_id)


@router.put(PROGRAMME + "/monthly-budgets", response_model=MonthlyBudgetOut)
def set_programme_month(session: SessionDep, principal: Marketer, programme_id: IdPath,
                        data: MonthlyBudgetSet) -> Any:
    """Plan one channel's amount in one month for the programme as a whole."""
    return budgets.set_monthly_budget(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                      programme_id=programme_id, data=data)


@router.delete(PROGRAMME + "/monthly-budgets/{channel}/{month}", status_code=http.HTTP_204_NO_CONTENT)
def delete_programme_month(session: SessionDep, principal: Marketer, programme_id: IdPath, channel: ChannelPath,
                           month: MonthPath) -> None:
    budgets.delete_monthly_budget(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                  programme_id=programme_id, channel=channel, month=_month(month) or date.min)


@router.get(PROGRAMME + "/budget-months", response_model=list[MonthLine])
def programme_month_lines(session: SessionDep, principal: Viewer, programme_id: IdPath,
                          since: MonthQuery = None, until: MonthQuery = None) -> Any:
    """The programme's plan against its campaigns' actual cost per channel and month."""
    return budgets.month_lines(session, workspace_id=principal.workspace_id, programme_id=programme_id,
                               since=_month(since), until=_until(until))


@router.post("/budgets/check-alerts", response_model=list[BudgetAlertOut])
def check_alerts(session: SessionDep, principal: Marketer) -> Any:
    """Record and announce warnings newly reached (each once); returns them."""
    alerts = budgets.check_budget_alerts(session, workspace_id=principal.workspace_id, actor=principal.actor)
    return [BudgetAlertOut(campaign_id=a.campaign_id, programme_id=a.programme_id, line=a.line) for a in alerts]


# A campaign's planned period (shown on the calendar)

@router.get(CAMPAIGN + "/planned-period", response_model=PlannedPeriod | None)
def get_planned_period(session: SessionDep, principal: Viewer, campaign_id: IdPath) -> Any:
    get_campaign_or_raise(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)
    row = calendar.get_planned_period(session, workspace_id=principal.workspace_id, campaign_id=campaign_id)
    return None if row is None else PlannedPeriod(starts_on=row.starts_on, ends_on=row.ends_on)


@router.put(CAMPAIGN + "/planned-period", response_model=PlannedPeriod)
def set_planned_period(session: SessionDep, principal: Marketer, campaign_id: IdPath, data: PlannedPeriod) -> Any:
    """Plan the days the campaign runs (first and last, inclusive)."""
    row = calendar.set_planned_period(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                      campaign_id=campaign_id, starts_on=data.starts_on, ends_on=data.ends_on)
    return PlannedPeriod(starts_on=row.starts_on, ends_on=row.ends_on)


@router.delete(CAMPAIGN + "/planned-period", status_code=http.HTTP_204_NO_CONTENT)
def clear_planned_period(session: SessionDep, principal: Marketer, campaign_id: IdPath) -> None:
    calendar.clear_planned_period(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                  campaign_id=campaign_id)
