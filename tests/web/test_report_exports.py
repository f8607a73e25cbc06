"""Every table of the report pages downloads as CSV and XLSX: numbers as numbers, formulas never, analysts and up."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.attribution.types import AttributedCredit
from kempen.models import Campaign, Role
from tests.reporting.conftest import Built, add_segment, built, credits  # noqa: F401  (fixtures)
from tests.web.conftest import PASSWORD, LoggedIn, login

MARCH = {"since": "2026-03-01", "until": "2026-03-30"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_keys(html: str) -> list[str]:
    return re.findall(r'class="table-exports small" id="export-([a-z0-9-]+)"', html)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def sheet_rows(content: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content))
    assert len(book.worksheets) == 1
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def as_role(logged_in: LoggedIn, session: Session, role: Role) -> None:
    email = f"{role.value}-{logged_in.tenant.workspace.slug}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=role)
    session.commit()
    assert login(logged_in.client, email).status_code == 303


def test_every_table_of_the_campaign_page_downloads(logged_in: LoggedIn, built: Built, session: Session,  # noqa: F811
                                                    credits: list[AttributedCredit]) -> None:  # noqa: F811
    segment = add_segment(session, built.workspace_id)
    base = f"/campaigns/{built.campaign_id}/performance"
    html = logged_in.client.get(base, params={"segment_id": segment.id}).text
    keys = export_keys(html)
    newsletter = built.messages["Newsletter"]
    assert set(keys) == {"totals", "incrementality-groups", "incrementality", f"experiment-{newsletter}", "channels",
                         "variants", "segment", "series", "budget", "spend"}
    for key in keys:
        for fmt in ("csv", "xlsx"):
            got = logged_in.client.get(base, params={"segment_id": segment.id, "format": fmt, "table": key})
            assert got.status_code == 200, (key, fmt, got.text[:300])
            assert f'filename="campaign-{built.campaign_id}-{key}.{fmt}"' in got.headers["content-disposition"]
        header = rows_of(logged_in.client.get(base, params={"format": "csv", "table": key,
                                                             "segment_id": segment.id}).text)[0]
        assert header and all(header), key


def test_campaign_tables_keep_numbers_as_numbers(logged_in: LoggedIn, built: Built,  # noqa: F811
                                                 credits: list[AttributedCredit]) -> None:  # noqa: F811
    base = f"/campaigns/{built.campaign_id}/performance"
    c = logged_in.client
    channels = rows_of(c.get(base, params={"format": "csv", "table": "channels"}).text)
    assert channels[0][:4] == ["Channel", "Audience", "Holdout", "Sent"] and "Open rate (%)" in channels[0]
    email = next(r for r in channels if r[0] == "Email")
    assert email[channels[0].index("Open rate (%)")] == "60.00" and email[channels[0].index("Revenue (EUR)")] == "125.00"
    sheet = sheet_rows(c.get(base, params={"format": "xlsx", "table": "channels"}).content)
    row = next(r for r in sheet if r[0] == "Email")
    assert row[sheet[0].index("Open rate")] == 0.6 and row[sheet[0].index("Revenue (EUR)")] == 125.0
    groups = sheet_rows(c.get(base, params={"format": "xlsx", "table": "incrementality-groups"}).content)
    assert groups[0][:3] == ["Group", "Contacts", "Converted"] and groups[2][:2] == ["Holdout", 1]
    series = rows_of(c.get(base, params={"format": "csv", "table": "series"}).text)
    assert series[0][0] == "From (UTC)" and series[1][0] == "2026-03-01 10:00" and series[1][2] == "9"
    test = sheet_rows(c.get(base, params={"format": "xlsx", "table": f"experiment-{built.messages['Newsletter']}"})
                      .content)
    assert [r[0] for r in test[1:]] == ["A", "B"] and isinstance(test[1][2], int)
    budget = rows_of(c.get(base, params={"format": "csv", "table": "budget"}).text)
    assert budget[0] == ["Channel", "Planned (EUR)", "Actual (EUR)", "Variance (EUR)"]
    assert ["paid_search", "25.00", "20.00", "-5.00"] in budget
    workbook = load_workbook(io.BytesIO(c.get(base, params={"format": "xlsx"}).content))
    assert workbook.sheetnames[:3] == ["Total", "Holdout groups", "Incrementality"] and "Spend" in workbook.sheetnames


def test_every_table_of_the_dashboard_downloads(logged_in: LoggedIn, built: Built,  # noqa: F811
                                                credits: list[AttributedCredit]) -> None:  # noqa: F811
    c = logged_in.client
    keys = export_keys(c.get("/reports", params=MARCH).text)
    assert set(keys) == {"kpis", "trend", "channels", "campaigns"}
    for key in keys:
        for fmt in ("csv", "xlsx"):
            got = c.get("/reports", params={**MARCH, "format": fmt, "table": key})
            assert got.status_code == 200 and got.headers["content-type"].startswith(
                "text/csv" if fmt == "csv" else XLSX), (key, fmt)
    kpis = rows_of(c.get("/reports", params={**MARCH, "format": "csv", "table": "kpis"}).text)
    assert kpis[0] == ["Figure", "This period", "Previous period", "Change", "Change unit"]
    assert ["Sent", "9", "0", "", "%"] in kpis and kpis[-1][0] == "ROI (%)"
    campaigns = sheet_rows(c.get("/reports", params={**MARCH, "format": "xlsx", "table": "campaigns"}).content)
    assert campaigns[0][:3] == ["Campaign", "Status", "Launched (UTC)"]
    assert campaigns[1][:2] == ["Spring", "completed"] and campaigns[1][2].isoformat() == "2026-03-01T10:00:00"
    trend = sheet_rows(c.get("/reports", params={**MARCH, "format": "xlsx", "table": "trend"}).content)
    assert len(trend) == 31 and trend[1][2] == 9


def test_formulas_are_written_as_text(logged_in: LoggedIn, built: Built, session: Session,  # noqa: F811
                                      credits: list[AttributedCredit]) -> None:  # noqa: F811
    name = '=HYPERLINK("http://evil.example","x")'
    session.execute(update(Campaign).where(Campaign.id == built.campaign_id).values(name=name))
    session.commit()
    c = logged_in.client
    campaigns = rows_of(c.get("/reports", params={**MARCH, "format": "csv", "table": "campaigns"}).text)
    assert campaigns[1][0] == "'" + name
    book = load_workbook(io.BytesIO(c.get("/reports", params={**MARCH, "format": "xlsx", "table": "campaigns"}).content))
    cell = book.worksheets[0]["A2"]
    assert cell.value == name and cell.data_type == "s"
    totals = load_workbook(io.BytesIO(c.get(f"/campaigns/{built.campaign_id}/performance",
                                            params={"format": "xlsx", "table": "totals"}).content)).worksheets[0]["A2"]
    assert totals.data_type == "s"


def test_bad_export_requests(logged_in: LoggedIn, built: Built) -> None:  # noqa: F811
    c, base = logged_in.client, f"/campaigns/{built.campaign_id}/performance"
    assert c.get(base, params={"format": "xlsx", "table": "nope"}).status_code == 404
    assert c.get(base, params={"format": "pdfx", "table": "channels"}).status_code == 400
    assert c.get("/reports", params={"format": "csv"}).status_code == 400  # one table per CSV: which one?
    legacy = c.get("/reports", params={**MARCH, "group": "segment", "format": "csv"})
    assert legacy.status_code == 200 and legacy.text.startswith("Table,Name,Audience")


def test_analysts_export_and_viewers_do_not(logged_in: LoggedIn, session: Session, built: Built,  # noqa: F811
                                            credits: list[AttributedCredit]) -> None:  # noqa: F811
    base = f"/campaigns/{built.campaign_id}/performance"
    as_role(logged_in, session, Role.ANALYST)
    assert "table-exports" in logged_in.client.get(base).text
    assert logged_in.client.get(base, params={"format": "csv", "table": "variants"}).status_code == 200
    as_role(logged_in, session, Role.VIEWER)
    page = logged_in.client.get(base).text
    assert "table-exports" not in page and 'id="export-xlsx"' not in page and 'id="export-pdf"' in page
    forwarded = logged_in.client.get(base, params={"format": "pdf"})  # the report to forward: every role
    assert forwarded.status_code == 200 and forwarded.content.startswith(b"%PDF")
    assert forwarded.headers["content-type"] == "application/pdf"
    assert logged_in.client.get("/campaigns/999999/performance", params={"format": "pdf"}).status_code == 404
    for params in ({"format": "csv", "table": "variants"}, {"format": "xlsx"}, {"format": "csv"}):
        assert logged_in.client.get(base, params=params).status_code == 403


def test_a_campaign_not_launched_yet_has_empty_tables_and_no_charts(logged_in: LoggedIn, session: Session) -> None:
    draft = Campaign(workspace_id=logged_in.tenant.id, name="Draft")
    session.add(draft)
    session.commit()
    base = f"/campaigns/{draft.id}/performance"
    page = logged_in.client.get(base)
    assert page.status_code == 200 and "Nothing has happened yet." in page.text
    assert 'data-chart="' not in page.text and 'id="budget-caption">No budget or costs recorded.' in page.text
    for key in export_keys(page.text):
        got = logged_in.client.get(base, params={"format": "csv", "table": key})
        assert got.status_code == 200 and len(rows_of(got.text)) >= 1, key
