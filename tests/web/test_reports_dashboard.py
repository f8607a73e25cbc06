"""The workspace dashboard at /reports: KPIs against the previous period, trend, channels, campaigns, roles."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.attribution.types import AttributedCredit
from kempen.models import Role
from kempen.reporting import dashboard
from kempen.reporting.report import ReportFilters
from kempen.reporting.schemas import Figures
from tests.reporting.conftest import Built, build_campaign, built, credits  # noqa: F401  (fixtures)
from tests.web.conftest import PASSWORD, LoggedIn, login

MARCH = {"since": "2026-03-01", "until": "2026-03-30"}  # 30 days; the previous period is 30 Jan – 28 Feb


def chart_data(html: str, key: str) -> dict:  # type: ignore[type-arg]
    """The JSON spec a chart is drawn from."""
    block = re.search(rf'<script type="application/json" id="{key}-data"[^>]*>(.*?)</script>', html, re.S)
    assert block is not None, f"no chart {key}"
    return json.loads(block.group(1))  # type: ignore[no-any-return]


def kpi(html: str, key: str) -> str:
    found = re.search(rf'id="kpi-{key}"[^>]*>.*?<span class="kpi-value">([^<]*)<', html, re.S)
    assert found is not None
    return found.group(1).strip()


def test_choose_period_presets_custom_and_previous() -> None:
    today = datetime(2026, 3, 30, tzinfo=UTC).date()
    name, period = dashboard.choose_period("7d", None, None, today)
    assert name == "7d" and period.since == datetime(2026, 3, 24, tzinfo=UTC) and period.days == 7
    assert period.previous().since == datetime(2026, 3, 17, tzinfo=UTC) and period.previous().until == period.since
    name, period = dashboard.choose_period("7d", today.replace(day=1), None, today)
    assert name == "custom" and period.days == 30 and period.last_day == today
    assert dashboard.choose_period("nonsense", None, None, today)[0] == dashboard.DEFAULT_PRESET
    backwards = dashboard.choose_period("", today, today.replace(day=1), today)[1]
    assert backwards.days == 1  # "from" after "to": the one day asked for last


def test_headline_changes_relative_and_in_points() -> None:
    now = Figures(key="t", label="t", sent=120, open_rate=0.25, revenue=Decimal("150"), cost=Decimal("0"))
    before = Figures(key="t", label="t", sent=100, open_rate=0.20, revenue=Decimal("0"), cost=Decimal("0"))
    kpis = {k.key: k for k in dashboard.headline(now, before)}
    assert kpis["sent"].change == 0.2 and kpis["open_rate"].change is not None
    assert round(kpis["open_rate"].change, 10) == 0.05  # points, not percent
    assert kpis["revenue"].change is None  # nothing before to divide by
    assert kpis["roi"].value is None and kpis["cost"].better_when == "lower"


def test_dashboard_compares_with_the_previous_period(session: Session, built: Built,  # noqa: F811
                                                     credits: list[AttributedCredit]) -> None:  # noqa: F811
    build_campaign(session, built.workspace_id, name="Winter", launched_at=datetime(2026, 2, 10, 9, tzinfo=UTC))
    filters = ReportFilters(since=datetime(2026, 3, 1, tzinfo=UTC), until=datetime(2026, 3, 31, tzinfo=UTC))
    board = dashboard.workspace_dashboard(session, workspace_id=built.workspace_id, filters=filters,
                                          sort="cost", descending=True)
    assert board.previous_since == datetime(2026, 1, 30, tzinfo=UTC)
    assert board.totals.sent == 9 and board.previous_totals.sent == 9  # the same shape, one in each period
    assert board.totals.revenue == Decimal("150.00") and board.previous_totals.revenue == 0
    kpis = {k.key: k for k in board.kpis}
    assert kpis["sent"].change == 0 and kpis["revenue"].change is None
    assert [c.figures.label for c in board.campaigns] == ["Spring"]
    assert [c.key for c in board.channels] == ["paid_search", "email", "sms"]  # sorted by cost, highest first
    assert board.trend_bucket == "day" and len(board.trend) == 30
    assert sum(p.sent for p in board.trend) == board.totals.sent
    assert sum(p.opens for p in board.trend) == board.totals.opens
    assert sum(p.conversions for p in board.trend) == board.totals.conversions == 2.0
    assert board.trend[0].sent == 9 and board.trend[0].start == filters.since


def test_dashboard_page(logged_in: LoggedIn, built: Built, credits: list[AttributedCredit]) -> None:  # noqa: F811
    page = logged_in.client.get("/reports", params=MARCH)
    assert page.status_code == 200, page.text
    html = page.text
    assert kpi(html, "sent") == "9" and kpi(html, "revenue") == "EUR 150.00"
    assert 'id="kpis-caption">Revenue €150, none in the previous period' in html
    trend = chart_data(html, "trend")
    assert trend["kind"] == "series" and len(trend["labels"]) == 30 and trend["datasets"][0]["values"][0] == 9
    assert 'id="trend-caption"' in html and 'id="trend-table"' in html
    channels = chart_data(html, "channels")
    assert channels["labels"] == ["Email", "Paid search", "SMS"] and channels["datasets"][0]["values"] == [125, 0, 25]
    assert 'id="channels-caption">Email brought €125 of €150 revenue' in html
    assert f'href="/campaigns/{built.campaign_id}/performance">Spring</a>' in html
    assert "completed · launched 01 Mar 2026" in html
    assert 'href="/reports/universal-holdout"' in html
    assert 'src="/static/js/report-charts.js' in html and "onchange=" not in html.split('id="report-filters"')[1]
    assert 'id="export-channels"' in html and 'id="export-campaigns"' in html


def test_dashboard_period_presets_and_sorting(logged_in: LoggedIn, built: Built,  # noqa: F811
                                              credits: list[AttributedCredit]) -> None:  # noqa: F811
    c = logged_in.client
    preset = c.get("/reports", params={"period": "7d"})
    assert '<option value="7d" selected>' in preset.text and "Spring" not in preset.text  # launched long ago
    custom = c.get("/reports", params={**MARCH, "sort": "revenue", "order": "desc"})
    assert '<option value="custom" selected>' in custom.text
    table = custom.text.split('id="channel-table"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<tr data-key="([^"]+)"', table) == ["email", "sms", "paid_search"]
    link = re.search(r'class="sort-link" href="([^"]+)" data-field="revenue"', table)
    assert link is not None and "order=asc" in link.group(1) and "period=custom" in link.group(1)
    only_sms = c.get("/reports", params={**MARCH, "channel": "sms"})
    assert kpi(only_sms.text, "sent") == "2"


def test_viewers_see_the_dashboard_without_downloads(logged_in: LoggedIn, session: Session,
                                                     built: Built) -> None:  # noqa: F811
    email = f"viewer-{logged_in.tenant.workspace.slug}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=Role.VIEWER)
    session.commit()
    assert login(logged_in.client, email).status_code == 303
    page = logged_in.client.get("/reports", params=MARCH)
    assert page.status_code == 200 and 'id="kpi-sent"' in page.text
    assert "table-exports" not in page.text and 'id="export-xlsx"' not in page.text
    assert logged_in.client.get("/reports", params={**MARCH, "format": "csv", "table": "channels"}).status_code == 403
    logged_in.client.cookies.clear()
    assert logged_in.client.get("/reports", follow_redirects=False).status_code == 303  # to the login page
