"""The budgets API: roles, validation as problem+json, the approval withdrawn, planned periods, settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import AuditEntry, CampaignSpend, CampaignStatus, Role
from tests.conftest import Tenant
from tests.planning.test_budgets import make_campaign


def test_marketer_plans_a_month_and_viewer_reads_the_variance(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    session.add(CampaignSpend(workspace_id=tenant.id, campaign_id=campaign.id, channel="social",
                              spend_date=date(2026, 5, 20), amount=Decimal("95"), currency="EUR"))
    session.commit()
    url = f"/api/v1/campaigns/{campaign.id}/monthly-budgets"
    body = {"channel": "social", "month": "2026-05-01", "amount": "100"}
    assert tenant.client.put(url, json=body, headers=tenant.headers(Role.VIEWER)).status_code == 403
    assert tenant.client.put(url, json=body, headers=tenant.headers(Role.ANALYST)).status_code == 403
    saved = tenant.client.put(url, json=body, headers=tenant.headers(Role.MARKETER))
    assert saved.status_code == 200, saved.text
    assert saved.json()["month"] == "2026-05-01" and saved.json()["currency"] == "EUR"
    listed = tenant.client.get(url, headers=tenant.headers(Role.VIEWER)).json()
    assert [(row["channel"], Decimal(row["amount"])) for row in listed] == [("social", Decimal("100"))]
    lines = tenant.client.get(f"/api/v1/campaigns/{campaign.id}/budget-months?since=2026-05&until=2026-05",
                              headers=tenant.headers(Role.VIEWER)).json()
    assert [(ln["level"], Decimal(ln["variance"])) for ln in lines] == [("warning", Decimal("-5"))]
    gone = tenant.client.delete(f"{url}/social/2026-05", headers=tenant.headers(Role.MARKETER))
    assert gone.status_code == 204
    assert tenant.client.delete(f"{url}/social/2026-05", headers=tenant.headers(Role.MARKETER)).status_code == 404


def test_bad_input_is_a_problem_not_a_crash(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    session.commit()
    url = f"/api/v1/campaigns/{campaign.id}/monthly-budgets"
    for body in ({"channel": "Bad Channel!", "month": "2026-05-01", "amount": "1"},
                 {"channel": "email", "month": "May", "amount": "1"},
                 {"channel": "email", "month": "2026-05-01", "amount": "-1"},
                 {"channel": "email", "month": "2026-05-01", "amount": "1", "warn_percent": "0"}):
        response = tenant.client.put(url, json=body, headers=tenant.headers(Role.MARKETER))
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    assert tenant.client.get(f"/api/v1/campaigns/{campaign.id}/budget-months?since=2026-13",
                             headers=tenant.headers()).status_code == 422
    assert tenant.client.get("/api/v1/campaigns/999999/budget-months", headers=tenant.headers()).status_code == 404
    assert tenant.client.get("/api/v1/programmes/999999/budget-months", headers=tenant.headers()).status_code == 404


def test_budget_change_of_an_approved_campaign_sends_it_back_to_draft(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id, status=CampaignStatus.APPROVED)
    session.commit()
    response = tenant.client.put(f"/api/v1/campaigns/{campaign.id}/monthly-budgets",
                                 json={"channel": "email", "month": "2026-05-01", "amount": "10"},
                                 headers=tenant.headers(Role.MARKETER))
    assert response.status_code == 200
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT


def test_other_workspace_campaign_is_404(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = make_campaign(session, other_tenant.id)
    session.commit()
    response = tenant.client.put(f"/api/v1/campaigns/{theirs.id}/monthly-budgets",
                                 json={"channel": "email", "month": "2026-05-01", "amount": "10"},
                                 headers=tenant.headers(Role.MARKETER))
    assert response.status_code == 404


def test_threshold_setting_is_for_admins(tenant: Tenant) -> None:
    url = "/api/v1/settings/budgets"
    assert Decimal(tenant.client.get(url, headers=tenant.headers(Role.VIEWER)).json()["warn_percent"]) == 90
    assert tenant.client.put(url, json={"warn_percent": 80}, headers=tenant.headers(Role.MANAGER)).status_code == 403
    assert tenant.client.put(url, json={"warn_percent": 80}, headers=tenant.headers(Role.ADMIN)).status_code == 200
    assert Decimal(tenant.client.get(url, headers=tenant.headers(Role.VIEWER)).json()["warn_percent"]) == 80


def test_planned_period_roundtrip(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    session.commit()
    url = f"/api/v1/campaigns/{campaign.id}/planned-period"
    assert tenant.client.get(url, headers=tenant.headers(Role.VIEWER)).json() is None
    body = {"starts_on": "2026-12-01", "ends_on": "2026-12-14"}
    assert tenant.client.put(url, json=body, headers=tenant.headers(Role.VIEWER)).status_code == 403
    assert tenant.client.put(url, json=body, headers=tenant.headers(Role.MARKETER)).json() == body
    backwards = tenant.client.put(url, json={"starts_on": "2026-12-14", "ends_on": "2026-12-01"},
                                  headers=tenant.headers(Role.MARKETER))
    assert backwards.status_code == 422
    assert tenant.client.delete(url, headers=tenant.headers(Role.MARKETER)).status_code == 204
    assert tenant.client.delete(url, headers=tenant.headers(Role.MARKETER)).status_code == 404


def test_channel_total_budget_change_also_withdraws_an_approval(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id, status=CampaignStatus.APPROVED)
    running = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING)
    session.commit()
    for target in (campaign, running):
        response = tenant.client.put(f"/api/v1/campaigns/{target.id}/budgets", json={"channel": "email", "amount": "5"},
                                     headers=tenant.headers(Role.MARKETER))
        assert response.status_code == 200
        session.refresh(target)
    assert (campaign.status, running.status) == (CampaignStatus.DRAFT, CampaignStatus.RUNNING)


def test_spend_entered_or_imported_raises_the_warning_at_once(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    session.commit()
    headers = tenant.headers(Role.MARKETER)
    tenant.client.put(f"/api/v1/campaigns/{campaign.id}/monthly-budgets",
                      json={"channel": "social", "month": "2026-05-01", "amount": "100"}, headers=headers)

    def budget_actions() -> list[str]:
        session.expire_all()
        return list(session.scalars(select(AuditEntry.action).where(
            AuditEntry.workspace_id == tenant.id, AuditEntry.action.like("budget.%")).order_by(AuditEntry.id)))

    entered = tenant.client.post(f"/api/v1/campaigns/{campaign.id}/spend",
                                 json={"channel": "social", "spend_date": "2026-05-04", "amount": "91"}, headers=headers)
    assert entered.status_code == 201 and budget_actions() == ["budget.threshold_passed"]
    csv = "date,channel,amount\n2026-05-20,social,30\n"
    imported = tenant.client.post(f"/api/v1/spend/import?campaign_id={campaign.id}", headers=headers,
                                  files={"file": ("ads.csv", csv.encode(), "text/csv")})
    assert imported.status_code == 200, imported.text
    assert budget_actions() == ["budget.threshold_passed", "budget.overspent"]
