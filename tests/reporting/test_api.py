"""The reporting API: tracking settings, budgets, spend and its CSV import, reports as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit
from kempen.models import AuditEntry, CampaignSpend, Role
from tests.conftest import Tenant
from tests.reporting.conftest import Built

API = "/api/v1"


def test_tracking_settings_read_by_viewers_changed_by_admins(session: Session, tenant: Tenant) -> None:
    c = tenant.client
    got = c.get(f"{API}/settings/tracking", headers=tenant.headers(Role.VIEWER))
    assert got.status_code == 200 and got.json()["attribution_model"] == "last_touch"
    assert got.json()["click_window_days"] == 7 and got.json()["exclude_machine_events"] is True
    change = {"currency": "usd", "click_window_days": 14, "attribution_model": "linear",
              "email_cost_per_message": "0.002", "track_opens": False}
    assert c.put(f"{API}/settings/tracking", json=change, headers=tenant.headers(Role.MARKETER)).status_code == 403
    done = c.put(f"{API}/settings/tracking", json=change, headers=tenant.headers(Role.ADMIN))
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["currency"], body["click_window_days"], body["attribution_model"], body["track_opens"]) == (
        "USD", 14, "linear", False)
    assert Decimal(body["email_cost_per_message"]) == Decimal("0.002")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.workspace_id == tenant.id,
                                                     AuditEntry.action == "tracking_settings.updated")).one()
    assert entry.details["changes"]["currency"] == "USD"


def test_tracking_settings_are_validated(tenant: Tenant) -> None:
    for bad in ({"click_window_days": 0}, {"open_window_days": 91}, {"currency": "EURO"}, {"currency": "1AB"},
                {"email_cost_per_message": "-0.01"}, {"attribution_model": "magic"}, {"unknown": 1}):
        answer = tenant.client.put(f"{API}/settings/tracking", json=bad, headers=tenant.headers())
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_budgets_and_spend(session: Session, tenant: Tenant, built: Built) -> None:
    c, cid, h = tenant.client, built.campaign_id, tenant.headers(Role.MARKETER)
    assert c.put(f"{API}/campaigns/{cid}/budgets", json={"channel": "display", "amount": "99.50"},
                 headers=tenant.headers(Role.VIEWER)).status_code == 403
    put = c.put(f"{API}/campaigns/{cid}/budgets", json={"channel": "display", "amount": "99.50"}, headers=h)
    assert put.status_code == 200 and put.json()["currency"] == "EUR"
    again = c.put(f"{API}/campaigns/{cid}/budgets", json={"channel": "display", "amount": "120"}, headers=h)
    assert again.json()["id"] == put.json()["id"] and Decimal(again.json()["amount"]) == 120
    channels = [b["channel"] for b in c.get(f"{API}/campaigns/{cid}/budgets", headers=h).json()]
    assert channels == ["display", "email", "paid_search"]
    assert c.put(f"{API}/campaigns/{cid}/budgets", json={"channel": "Bad Name", "amount": "1"},
                 headers=h).status_code == 422
    assert c.put(f"{API}/campaigns/{cid}/budgets", json={"channel": "x", "amount": "-1"},
                 headers=h).status_code == 422
    assert c.delete(f"{API}/campaigns/{cid}/budgets/display", headers=h).status_code == 204
    assert c.delete(f"{API}/campaigns/{cid}/budgets/display", headers=h).status_code == 404
    spend = c.post(f"{API}/campaigns/{cid}/spend", json={"channel": "display", "spend_date": "2026-03-03",
                                                         "amount": "12.30"}, headers=h)
    assert spend.status_code == 201, spend.text
    assert len(c.get(f"{API}/campaigns/{cid}/spend", headers=h).json()) == 3
    assert c.delete(f"{API}/spend/{spend.json()['id']}", headers=h).status_code == 204
    assert c.delete(f"{API}/spend/{spend.json()['id']}", headers=h).status_code == 404


def _upload(tenant: Tenant, text: str, campaign_id: int | None = None) -> object:
    params = {"campaign_id": campaign_id} if campaign_id else {}
    return tenant.client.post(f"{API}/spend/import", params=params, headers=tenant.headers(Role.MARKETER),
                              files={"file": ("ads.csv", text.encode(), "text/csv")})


def _imported(session: Session, campaign_id: int) -> dict[tuple[str, str], Decimal]:
    session.expire_all()
    rows = session.scalars(select(CampaignSpend).where(CampaignSpend.campaign_id == campaign_id,
                                                       CampaignSpend.source == "import"))
    return {(r.channel, r.spend_date.isoformat()): r.amount for r in rows}


def test_spend_import_replaces_the_same_days(session: Session, tenant: Tenant, built: Built) -> None:
    cid = built.campaign_id
    first = _upload(tenant, "Date,Channel,Amount,Currency\n2026-03-02,paid_search,5.00,EUR\n"
                            "2026-03-02,paid_search,\"1,000.25\",eur\n2026-03-03,display,7\n", cid)
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    assert first.json() == {"rows": 3, "days": 2, "replaced": 1, "total": "1012.25",  # type: ignore[attr-defined]
                            "currency": "EUR"}
    assert _imported(session, cid) == {("paid_search", "2026-03-02"): Decimal("1005.25"),
                                       ("display", "2026-03-03"): Decimal("7.00")}
    second = _upload(tenant, f"campaign,date,channel,amount\n{cid},2026-03-03,display,8.5\n")
    assert second.json()["replaced"] == 1  # type: ignore[attr-defined]
    assert _imported(session, cid)[("display", "2026-03-03")] == Decimal("8.50")


def test_a_bad_spend_file_writes_nothing_and_names_its_rows(session: Session, tenant: Tenant, built: Built) -> None:
    cid = built.campaign_id
    before = _imported(session, cid)
    bad = _upload(tenant, "date,channel,amount,currency\n2026-03-04,display,3\n2026-13-01,display,3\n"
                          "2026-03-05,display,-2\n2026-03-06,display,3,USD\n", cid)
    assert bad.status_code == 422  # type: ignore[attr-defined]
    errors = bad.json()["errors"]  # type: ignore[attr-defined]
    assert [e["row"] for e in errors] == [3, 4, 5]
    assert "Nothing was imported" in bad.json()["detail"]  # type: ignore[attr-defined]
    assert _imported(session, cid) == before
    no_campaign = _upload(tenant, "date,channel,amount\n2026-03-04,display,3\n")
    assert no_campaign.status_code == 422 and no_campaign.json()["errors"][0]["row"] == 2  # type: ignore[attr-defined]
    missing = _upload(tenant, "day,cost\n2026-03-04,3\n", cid)
    assert missing.status_code == 422 and "channel" in missing.json()["detail"]  # type: ignore[attr-defined]


def test_campaign_report_json_csv_and_xlsx(tenant: Tenant, built: Built, credits: list[AttributedCredit]) -> None:
    c, url = tenant.client, f"{API}/reports/campaigns/{built.campaign_id}"
    body = c.get(url, headers=tenant.headers(Role.VIEWER)).json()
    assert body["totals"]["delivered"] == 7 and body["totals"]["roi"] is not None
    assert {row["key"] for row in body["channels"]} == {"email", "sms", "paid_search"}
    assert c.get(url, params={"format": "csv"}, headers=tenant.headers(Role.VIEWER)).status_code == 403
    got = c.get(url, params={"format": "csv"}, headers=tenant.headers(Role.ANALYST))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    total = next(r for r in rows if r["Table"] == "Total")
    assert (total["Delivered"], total["Open rate (%)"], total["Cost (EUR)"]) == ("7", "57.14", "30.07")
    sms = next(r for r in rows if r["Name"] == "SMS")
    assert sms["ROI (%)"] == "" and sms["ROAS"] == ""
    xlsx = c.get(url, params={"format": "xlsx"}, headers=tenant.headers(Role.ANALYST))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["Total", "Channels", "Variants"]
    sheet = book["Total"]
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Name", "Audience", "Holdout", "Sent"]
    values = dict(zip(header, [cell for cell in sheet[2]], strict=True))
    assert values["Audience"].value == 12 and isinstance(values["Audience"].value, int)
    assert values["Open rate"].value == 4 / 7 and values["Open rate"].number_format == "0.00%"
    assert values["Revenue (EUR)"].value == 150.0 and values["Cost (EUR)"].value == 30.07


def test_campaign_report_as_pdf(tenant: Tenant, other_tenant: Tenant, built: Built,
                                credits: list[AttributedCredit]) -> None:
    import pypdfium2

    c, url = tenant.client, f"{API}/reports/campaigns/{built.campaign_id}"
    got = c.get(url, params={"format": "pdf"}, headers=tenant.headers(Role.VIEWER))
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == f'attachment; filename="campaign-{built.campaign_id}-report.pdf"'
    text = "\n".join(page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(got.content))
    assert "Spring" in text and "€150.00" in text
    assert c.get(url, params={"format": "doc"}, headers=tenant.headers(Role.VIEWER)).status_code == 422
    foreign = other_tenant.client.get(url, params={"format": "pdf"}, headers=other_tenant.headers(Role.ADMIN))
    assert foreign.status_code == 404 and foreign.headers["content-type"] == "application/problem+json"


def test_channel_report_sorts_filters_and_checks_input(tenant: Tenant, built: Built,
                                                       credits: list[AttributedCredit]) -> None:
    c, url, h = tenant.client, f"{API}/reports/channels", tenant.headers(Role.VIEWER)
    params = {"since": "2026-02-01", "until": "2026-03-31", "sort": "cost", "order": "desc"}
    body = c.get(url, params=params, headers=h).json()
    assert [r["key"] for r in body["rows"]] == ["paid_search", "email", "sms"]
    ascending = c.get(url, params={**params, "order": "asc", "sort": "roi"}, headers=h).json()["rows"]
    assert [r["key"] for r in ascending] == ["paid_search", "email", "sms"]  # sms has no ROI: last
    per_campaign = c.get(url, params={**params, "group": "campaign"}, headers=h).json()["rows"]
    assert [r["label"] for r in per_campaign] == ["Spring"]
    running = c.get(url, params={**params, "status": "running"}, headers=h).json()["rows"]
    assert running == []
    assert c.get(url, params={"sort": "nope"}, headers=h).status_code == 422
    assert c.get(url, params={"since": "2026-03-02", "until": "2026-03-01"}, headers=h).status_code == 422
    assert c.get(url, params={"model": "magic"}, headers=h).status_code == 422
    xlsx = c.get(url, params={**params, "format": "xlsx"}, headers=tenant.headers(Role.ANALYST))
    sheet = load_workbook(io.BytesIO(xlsx.content))["Channel"]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Paid search", "Email", "SMS"]


def test_reports_of_another_workspace_are_not_found(tenant: Tenant, other_tenant: Tenant, built: Built) -> None:
    answer = other_tenant.client.get(f"{API}/reports/campaigns/{built.campaign_id}", headers=other_tenant.headers())
    assert answer.status_code == 404
    assert other_tenant.client.get(f"{API}/campaigns/{built.campaign_id}/spend",
                                   headers=other_tenant.headers()).status_code == 404
