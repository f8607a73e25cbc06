"""`kempen report campaign` prints each message's A/B test and its caption; --metric chooses what is compared."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.common import console
from kempen.cli.main import app
from tests.conftest import Tenant
from tests.experiments.conftest import build_clicks_trial, build_trial

runner = CliRunner()


def run(tenant: Tenant, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output


def test_text_output_has_the_table_and_caption(session: Session, tenant: Tenant,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "width", 160)  # a wide terminal: one line per variant
    trial = build_clicks_trial(session, tenant.id, {"A": (400, 20), "B": (400, 60)})
    code, out = run(tenant, "report", "campaign", str(trial.campaign_id))
    assert code == 0, out
    assert "A/B test · Mail (email) · click rate" in out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.startswith("│ A ") or
             line.startswith("│ B ")}
    assert "control" in lines["A"] and "5.0% (3.3 to 7.6)" in lines["A"]
    assert "B ★" in lines and "15.0% (11.8 to 18.8)" in lines["B ★"] and "+10.0 (5.9 to 14.1)" in lines["B ★"]
    assert "< 0.001" in lines["B ★"]
    assert "vs A (points)" in out and "Split check against the planned 50/50: p 1.000, ok." in out
    assert "Variant B's click rate is 10.0 points (200%) higher than A's (95% interval 5.9 to 14.1)" in out


def test_metric_option_and_json(session: Session, tenant: Tenant) -> None:
    trial = build_trial(session, tenant.id)
    code, out = run(tenant, "report", "campaign", str(trial.campaign_id), "--metric", "revenue_per_recipient")
    assert code == 0, out
    assert "revenue per recipient" in out and "Revenue" in out and "120.00" in out
    code, out = run(tenant, "report", "campaign", str(trial.campaign_id), "--metric", "conversion_rate",
                    "--format", "json")
    (experiment,) = json.loads(out)["experiments"]
    assert experiment["metric"] == "conversion_rate" and [a["successes"] for a in experiment["arms"]] == [1, 2]


def test_unknown_metric_is_refused(session: Session, tenant: Tenant) -> None:
    trial = build_trial(session, tenant.id)
    code, out = run(tenant, "report", "campaign", str(trial.campaign_id), "--metric", "happiness")
    assert code != 0 and "happiness" in out
