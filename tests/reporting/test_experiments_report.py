"""Experiments in the campaign report and its API: the metric parameter, roles, errors, exports."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.experiments.analysis import analyse_campaign
from kempen.experiments.schemas import Metric
from kempen.models import Role
from kempen.reporting import report
from tests.conftest import Tenant
from tests.experiments.conftest import DAY, LAUNCH, Trial, build_clicks_trial, build_trial

NOW = LAUNCH + 30 * DAY


def _url(trial: Trial, query: str = "") -> str:
    return f"/api/v1/reports/campaigns/{trial.campaign_id}{query}"


def test_the_report_carries_the_analysis(session: Session, tenant: Tenant) -> None:
    trial = build_trial(session, tenant.id)
    found = report.campaign_report(session, workspace_id=tenant.id, campaign_id=trial.campaign_id, now=NOW)
    expected = analyse_campaign(session, workspace_id=tenant.id, campaign_id=trial.campaign_id, until=NOW)
    assert found.experiments == expected and [e.metric for e in found.experiments] == [Metric.CLICK_RATE]
    found = report.campaign_report(session, workspace_id=tenant.id, campaign_id=trial.campaign_id, now=NOW,
                                   metric=Metric.CONVERSION_RATE)
    assert [a.successes for a in found.experiments[0].arms] == [1, 2]


def test_api_metric_parameter(session: Session, tenant: Tenant) -> None:
    trial = build_clicks_trial(session, tenant.id, {"A": (400, 20), "B": (400, 60)})
    answer = tenant.client.get(_url(trial), headers=tenant.headers(Role.VIEWER))
    assert answer.status_code == 200, answer.text
    (experiment,) = answer.json()["experiments"]
    assert experiment["metric"] == "click_rate" and experiment["significant"] is True
    assert experiment["leader_variant_id"] == trial.variants["B"]
    assert [a["successes"] for a in experiment["arms"]] == [20, 60]
    assert experiment["caption"].startswith("Variant B's click rate is 10.0 points (200%) higher than A's")
    answer = tenant.client.get(_url(trial, "?metric=open_rate"), headers=tenant.headers(Role.VIEWER))
    assert answer.json()["experiments"][0]["metric"] == "open_rate"


def test_api_refuses_an_unknown_metric(session: Session, tenant: Tenant) -> None:
    trial = build_trial(session, tenant.id)
    answer = tenant.client.get(_url(trial, "?metric=happiness"), headers=tenant.headers(Role.VIEWER))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "metric" in answer.text


def test_api_scopes_to_the_workspace(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    trial = build_trial(session, tenant.id)
    answer = other_tenant.client.get(_url(trial), headers=other_tenant.headers(Role.ADMIN))
    assert answer.status_code == 404
    assert tenant.client.get(_url(trial)).status_code == 401
