"""Report pages through the real login: performance page, cost forms, channel comparison, settings, exports."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.attribution.types import AttributedCredit
from kempen.models import Role
from kempen.tracking.settings import get_tracking_settings
from tests.reporting.conftest import Built, add_segment, built, credits  # noqa: F401  (fixtures)
from tests.web.conftest import PASSWORD, LoggedIn, login


def cell(html: str, table: str, key: str, field: str) -> str:
    """The text of one figure in a rendered report table."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    row = body.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    return re.search(rf'data-field="{field}"[^>]*>([^<]*)<', row).group(1).strip()  # type: ignore[union-attr]


def test_performance_page_shows_every_table(logged_in: LoggedIn, built: Built,  # noqa: F811
                                            credits: list[AttributedCredit], session: Session) -> None:  # noqa: F811
    segment = add_segment(session, built.workspace_id)
    page = logged_in.client.get(f"/campaigns/{built.campaign_id}/performance", params={"segment_id": segment.id})
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="kpi-delivered">7<' in html and 'id="kpi-revenue">EUR 150.00<' in html
    assert cell(html, "channel-table", "email", "open_rate") == "60.0 %"
    assert cell(html, "channel-table", "sms", "roi") == "—"  # nothing spent on SMS: no ROI, no division by zero
    assert cell(html, "channel-table", "paid_search", "cost") == "20.00"
    assert cell(html, "variant-table", str(built.variants["B"]), "complaints") == "1"
    assert cell(html, "segment-table", "in", "clicks") == "2"
    assert 'id="series-table"' in html and 'id="series-chart"' in html and 'id="budget-table"' in html
    campaign_page = logged_in.client.get(f"/campaigns/{built.campaign_id}")
    assert 'id="performance-link"' in campaign_page.text


def test_cost_forms_save_and_refuse_bad_input(logged_in: LoggedIn, built: Built) -> None:  # noqa: F811
    c, base = logged_in.client, f"/campaigns/{built.campaign_id}"
    done = c.post(f"{base}/budgets", data={"csrf_token": logged_in.csrf, "channel": "display", "amount": "50"},
                  follow_redirects=False)
    assert done.status_code == 303 and "saved=budget" in done.headers["location"]
    bad = c.post(f"{base}/spend", data={"csrf_token": logged_in.csrf, "channel": "display", "spend_date": "2026-03-03",
                                        "amount": "-5"}, follow_redirects=True)
    assert 'id="problem"' in bad.text
    upload = c.post(f"{base}/spend/import", data={"csrf_token": logged_in.csrf},
                    files={"file": ("ads.csv", b"date,channel,amount\n2026-03-03,display,12.5\n", "text/csv")},
                    follow_redirects=True)
    assert upload.status_code == 200 and 'id="notice"' in upload.text
    assert cell(upload.text, "channel-table", "display", "cost") == "12.50"
    refused = c.post(f"{base}/spend/import", data={"csrf_token": logged_in.csrf},
                     files={"file": ("ads.csv", b"date,channel,amount\n2026-03-03,display,x\n", "text/csv")},
                     follow_redirects=True)
    assert "Row 2" in refused.text and cell(refused.text, "channel-table", "display", "cost") == "12.50"
    assert c.post(f"{base}/budgets", data={"channel": "display", "amount": "1"}).status_code == 403  # no CSRF token


def test_channel_comparison_sorts_filters_and_exports(logged_in: LoggedIn, built: Built,  # noqa: F811
                                                      credits: list[AttributedCredit]) -> None:  # noqa: F811
    c = logged_in.client
    params = {"since": "2026-02-01", "until": "2026-03-31", "sort": "cost", "order": "desc"}
    page = c.get("/reports", params=params)
    channel_table = page.text.split('id="channel-table"', 1)[1].split("</table>", 1)[0]
    keys = re.findall(r'<tr data-key="([^"]+)"', channel_table)
    assert keys == ["paid_search", "email", "sms"]
    assert 'aria-sort="descending"' in page.text
    link = re.search(r'class="sort-link" href="([^"]+)" data-field="cost"', page.text).group(1)  # type: ignore[union-attr]
    assert "order=asc" in link  # clicking the sorted column again reverses it
    only_sms = c.get("/reports", params={**params, "channel": "sms"})
    assert re.findall(r'<tr data-key="([^"]+)"', only_sms.text.split('id="channel-table"', 1)[1]
                      .split("</table>", 1)[0]) == ["sms"]
    campaigns = c.get("/reports", params={**params, "group": "campaign"})
    assert f'data-key="{built.campaign_id}"' in campaigns.text
    xlsx = c.get("/reports", params={**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content))["Channels"]  # every table of the page, one sheet each
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == ["Paid search", "Email", "SMS"]
    csv_text = c.get(f"/campaigns/{built.campaign_id}/performance", params={"format": "csv"}).text
    assert csv_text.startswith("Table,Name,Audience")


def test_tracking_settings_form(logged_in: LoggedIn, session: Session) -> None:
    c = logged_in.client
    assert c.get("/settings/tracking").status_code == 200
    bad = c.post("/settings/tracking", data={"csrf_token": logged_in.csrf, "currency": "EURO", "utm_source": "kempen",
                                             "click_window_days": "120", "open_window_days": "1",
                                             "attribution_model": "linear", "email_cost_per_message": "0",
                                             "sms_cost_per_message": "0"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and "ISO 4217" in bad.text
    good = c.post("/settings/tracking", data={"csrf_token": logged_in.csrf, "currency": "usd", "utm_source": "news",
                                              "click_window_days": "10", "open_window_days": "2",
                                              "attribution_model": "time_decay", "email_cost_per_message": "0.001",
                                              "sms_cost_per_message": "0.05", "track_opens": "on"},
                  follow_redirects=False)
    assert good.status_code == 303
    session.expire_all()
    row = get_tracking_settings(session, workspace_id=logged_in.tenant.id)
    assert (row.currency, row.click_window_days, row.attribution_model, row.track_opens, row.track_clicks) == (
        "USD", 10, "time_decay", True, False)


def test_viewers_see_but_cannot_change_or_export(logged_in: LoggedIn, session: Session, built: Built) -> None:  # noqa: F811
    email = f"viewer-{logged_in.tenant.workspace.slug}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=Role.VIEWER)
    session.commit()
    assert login(logged_in.client, email).status_code == 303
    c = logged_in.client
    page = c.get(f"/campaigns/{built.campaign_id}/performance")
    assert page.status_code == 200 and 'id="budget-form"' not in page.text
    assert c.get(f"/campaigns/{built.campaign_id}/performance", params={"format": "xlsx"}).status_code == 403
    settings_page = c.get("/settings/tracking")
    assert "Only admins" in settings_page.text
