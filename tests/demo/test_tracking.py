"""The finished demo campaign `kempen init` adds: a performance page with opens, clicks, revenue and costs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kempen.demo.tracking import CAMPAIGN_NAME, create_demo_results
from kempen.models import Campaign
from kempen.reporting.report import campaign_report
from tests.demo.conftest import make_demo

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


def test_the_demo_campaign_has_results_to_report(db: Engine, session: Session) -> None:
    demo = make_demo(db, contacts=700, seed=3)
    ws = demo.workspace_id
    campaign_id = create_demo_results(session, workspace_id=ws, now=NOW)
    session.commit()
    assert campaign_id is not None
    assert create_demo_results(session, workspace_id=ws, now=NOW) is None  # once only
    assert session.scalar(select(func.count()).select_from(Campaign).where(
        Campaign.workspace_id == ws, Campaign.name == CAMPAIGN_NAME)) == 1
    report = campaign_report(session, workspace_id=ws, campaign_id=campaign_id, now=NOW)
    t = report.totals
    assert t.sent == 600 and 0 < t.bounced < 40 and t.delivered == t.sent - t.bounced
    assert 150 < t.opens < 300 and 10 < t.clicks < t.opens and t.machine_opens > 30
    assert t.conversions >= 3 and t.revenue > Decimal("50") and t.cost > Decimal("100")
    assert t.roi is not None and t.roas is not None
    assert {row.key for row in report.channels} == {"email", "paid_social"}
    a, b = sorted(report.variants, key=lambda r: r.label)
    assert a.open_rate is not None and b.open_rate is not None and a.open_rate > b.open_rate
    assert report.series[0].bucket == "hour" and report.series[-1].bucket == "day", [(p.start, p.bucket) for p in report.series[-4:]]
    assert {line.channel for line in report.budget} == {"email", "paid_social"}
