"""The workspace dashboard: headline figures against the previous period, a trend, channels and campaigns.

Built from the workspace report (report.workspace_rows) and the time series (series.time_series), so a
figure here is the same figure as on the channel comparison and on each campaign's page. As there, a
period selects the campaigns launched in it, and counts what those campaigns did up to now; the previous
period is the one of the same length just before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributionModel
from kempen.kit.clock import utcnow
from kempen.reporting import report
from kempen.reporting.charts import roll_up
from kempen.reporting.export import sort_rows
from kempen.reporting.metrics import Selection
from kempen.reporting.report import ReportFilters
from kempen.reporting.revenue import attributed_credits
from kempen.reporting.schemas import Figures, SeriesPoint
from kempen.reporting.series import time_series

PRESETS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DEFAULT_PRESET = "30d"
WEEKLY_AFTER_DAYS = 92  # longer trends are drawn per week, so a year is 53 points, not 365


@dataclass(frozen=True)
class Period:
    """Whole UTC days [since, until): `until` is the midnight after the last day."""

    since: datetime
    until: datetime

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(days=1)).date()

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - (self.until - self.since), self.since)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=utcnow().tzinfo)


def choose_period(preset: str, since: date | None, until: date | None, today: date) -> tuple[str, Period]:
    """The period asked for: given days (custom), else a preset ending today; returns the preset's name too."""
    if since is not None or until is not None:
        end = until or today
        start = min(since or end - timedelta(days=29), end)
        return "custom", Period(_midnight(start), _midnight(end + timedelta(days=1)))
    name = preset if preset in PRESETS else DEFAULT_PRESET
    return name, Period(_midnight(today - timedelta(days=PRESETS[name] - 1)), _midnight(today + timedelta(days=1)))


class Kpi(BaseModel):
    """One headline figure now and in the previous period; the change is relative, or in points for rates."""

    key: str
    label: str
    kind: str  # "int", "number", "money", "rate"
    value: float | None
    previous: float | None
    change: float | None  # (value − previous) / previous; for rates value − previous (fraction points)
    better_when: str = "higher"  # "higher" or "lower": how the page colours the change


class CampaignLine(BaseModel):
    """A campaign's row: its figures and when it launched."""

    figures: Figures
    status: str
    launched_at: datetime | None


class Dashboard(BaseModel):
    currency: str
    model: AttributionModel
    machine_excluded: bool
    since: datetime
    until: datetime
    previous_since: datetime
    previous_until: datetime
    totals: Figures
    previous_totals: Figures
    kpis: list[Kpi]
    trend: list[SeriesPoint]
    trend_bucket: str  # "day" or "week"
    channels: list[Figures]
    campaigns: list[CampaignLine]


KPI_FIELDS = (("sent", "Sent", "int", "higher"), ("open_rate", "Open rate", "rate", "higher"),
              ("click_rate", "Click rate", "rate", "higher"), ("conversions", "Conversions", "number", "higher"),
              ("revenue", "Revenue", "money", "higher"), ("cost", "Cost", "money", "lower"),
              ("roi", "ROI", "rate", "higher"))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def headline(now: Figures, before: Figures) -> list[Kpi]:
    """The KPIs with their change against the previous period (None where there is nothing to compare)."""
    kpis = []
    for field, label, kind, better in KPI_FIELDS:
        value, previous = _float(getattr(now, field)), _float(getattr(before, field))
        if value is None or previous is None:
            change = None
        elif kind == "rate":
            change = value - previous
        else:
            change = (value - previous) / previous if previous else None
        kpis.append(Kpi(key=field, label=label, kind=kind, value=value, previous=previous, change=change,
                        better_when=better))
    return kpis


def _total(session: Session, workspace_id: int, filters: ReportFilters) -> Figures:
    rows, _, _ = report.workspace_rows(session, workspace_id=workspace_id, group="total", filters=filters)
    return rows[0] if rows else Figures(key="total", label="All campaigns")


def trend(session: Session, *, workspace_id: int, filters: ReportFilters, exclude_machine: bool,
          model: AttributionModel) -> tuple[list[SeriesPoint], str]:
    """Sends, opens, clicks and conversions of the period's campaigns per day (per week for long periods)."""
    ids = [c.id for c in report.selected_campaigns(session, workspace_id, filters)]
    if not ids:
        return [], "day"
    wanted = set(ids)
    credits = [c for c in attributed_credits(session, workspace_id=workspace_id, since=filters.since,
                                             until=filters.until, model=model)
               if c.campaign_id in wanted and (filters.channel is None or c.channel == filters.channel)]
    sel = Selection(workspace_id, ids, exclude_machine, channel=filters.channel)
    points = time_series(session, sel, launched_at=filters.since, credits=credits)
    bucket = "week" if (filters.until - filters.since).days > WEEKLY_AFTER_DAYS else "day"
    return roll_up(points, filters.since, filters.until, bucket), bucket


def workspace_dashboard(session: Session, *, workspace_id: int, filters: ReportFilters, sort: str = "label",
                        descending: bool = False) -> Dashboard:
    """Everything the /reports page shows for the filters; tables sorted by one column."""
    previous = Period(filters.since, filters.until).previous()
    before = ReportFilters(since=previous.since, until=previous.until, channel=filters.channel,
                           status=filters.status, segment_id=filters.segment_id, model=filters.model)
    channels, settings, model = report.workspace_rows(session, workspace_id=workspace_id, group="channel",
                                                      filters=filters)
    campaigns, _, _ = report.workspace_rows(session, workspace_id=workspace_id, group="campaign", filters=filters)
    totals, previous_totals = _total(session, workspace_id, filters), _total(session, workspace_id, before)
    chosen = {c.id: c for c in report.selected_campaigns(session, workspace_id, filters)}
    lines = [CampaignLine(figures=row, status=chosen[int(row.key)].status.value,
                          launched_at=chosen[int(row.key)].launched_at)
             for row in sort_rows(campaigns, sort, descending) if row.key.isdigit() and int(row.key) in chosen]
    points, bucket = trend(session, workspace_id=workspace_id, filters=filters,
                           exclude_machine=settings.exclude_machine_events, model=model)
    return Dashboard(currency=settings.currency, model=model, machine_excluded=settings.exclude_machine_events,
                     since=filters.since, until=filters.until, previous_since=previous.since,
                     previous_until=previous.until, totals=totals, previous_totals=previous_totals,
                     kpis=headline(totals, previous_totals), trend=points, trend_bucket=bucket,
                     channels=sort_rows(channels, sort, descending), campaigns=lines)
