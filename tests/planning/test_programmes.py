"""Programmes on both databases: create, edit, assign campaigns, roll up their report totals and objectives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributionModel
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import Campaign
from kempen.planning import programmes, schemas
from kempen.planning.pace import Verdict
from kempen.reporting.report import campaign_report
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant
from tests.planning.objective_helpers import ACTOR, NOW, convert, objective
from tests.reporting.conftest import LAUNCH, add_costs, build_campaign


def create(session: Session, workspace_id: int, name: str = "Spring relaunch", **fields: object) -> int:
    programme = programmes.create_programme(session, workspace_id=workspace_id, actor=ACTOR,
                                            data=schemas.ProgrammeCreate(name=name, **fields))  # type: ignore[arg-type]
    session.commit()
    return programme.id


def test_create_edit_list_and_delete(session: Session, tenant: Tenant) -> None:
    pid = create(session, tenant.id, budget=Decimal("500"), starts_on=date(2026, 3, 1))
    with pytest.raises(Conflict, match="already exists"):
        create(session, tenant.id, name="spring RELAUNCH")
    with pytest.raises(InvalidInput, match="cannot end before it starts"):
        programmes.update_programme(session, workspace_id=tenant.id, actor=ACTOR, programme_id=pid,
                                    data=schemas.ProgrammeUpdate(ends_on=date(2026, 2, 1)))
    with pytest.raises(InvalidInput, match="not a member"):
        programmes.update_programme(session, workspace_id=tenant.id, actor=ACTOR, programme_id=pid,
                                    data=schemas.ProgrammeUpdate(owner_id=999_999))
    changed = programmes.update_programme(session, workspace_id=tenant.id, actor=ACTOR, programme_id=pid,
                                          data=schemas.ProgrammeUpdate(budget=None, owner_id=tenant.owner_id))
    assert changed.budget is None and changed.owner_id == tenant.owner_id and changed.name == "Spring relaunch"
    b = build_campaign(session, tenant.id)
    programmes.assign_campaign(session, workspace_id=tenant.id, actor=ACTOR, campaign_id=b.campaign_id,
                               programme_id=pid)
    [summary] = programmes.list_programmes(session, workspace_id=tenant.id)
    assert (summary.name, summary.campaigns) == ("Spring relaunch", 1)
    programmes.delete_programme(session, workspace_id=tenant.id, actor=ACTOR, programme_id=pid)
    session.commit()
    campaign = session.get(Campaign, b.campaign_id)
    assert campaign is not None and campaign.programme_id is None  # the campaign stays
    assert programmes.list_programmes(session, workspace_id=tenant.id) == []


def test_other_workspaces_are_not_found(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    pid = create(session, tenant.id)
    b = build_campaign(session, other_tenant.id)
    with pytest.raises(NotFound):
        programmes.programme_detail(session, workspace_id=other_tenant.id, programme_id=pid)
    with pytest.raises(NotFound):  # a campaign of another workspace cannot join
        programmes.assign_campaign(session, workspace_id=tenant.id, actor=ACTOR, campaign_id=b.campaign_id,
                                   programme_id=pid)
    with pytest.raises(NotFound):  # nor a programme of another workspace be joined
        programmes.assign_campaign(session, workspace_id=other_tenant.id, actor=ACTOR, campaign_id=b.campaign_id,
                                   programme_id=pid)


def test_the_rollup_sums_each_campaign_report(session: Session, tenant: Tenant) -> None:
    get_tracking_settings(session, workspace_id=tenant.id).attribution_model = AttributionModel.LAST_TOUCH
    first = build_campaign(session, tenant.id, name="Spring")
    add_costs(session, first)
    second = build_campaign(session, tenant.id, name="Summer", launched_at=LAUNCH + timedelta(days=2))
    convert(session, first, "c1", name="purchase", hours=4, value="80.00")
    convert(session, first, "c1", name="sign_up", hours=5)
    pid = create(session, tenant.id, budget=Decimal("100.00"))
    for b in (first, second):
        programmes.assign_campaign(session, workspace_id=tenant.id, actor=ACTOR, campaign_id=b.campaign_id,
                                   programme_id=pid)
    session.commit()
    objective(session, tenant.id, programme_id=pid, metric="conversions", target="10")
    objective(session, tenant.id, programme_id=pid, metric="named_conversion", conversion_name="sign_up", target="3")
    detail = programmes.programme_detail(session, workspace_id=tenant.id, programme_id=pid, now=NOW)
    reports = [campaign_report(session, workspace_id=tenant.id, campaign_id=b.campaign_id, now=NOW).totals
               for b in (first, second)]
    rollup = detail.rollup
    assert rollup.sent == sum(r.sent for r in reports) == 18  # 9 sent in each campaign
    assert rollup.clicks == sum(r.clicks for r in reports)
    assert rollup.conversions == sum(r.conversions for r in reports) == 2.0
    assert rollup.revenue == sum(r.revenue for r in reports) == Decimal("80.00")
    assert rollup.cost == sum(r.cost for r in reports)
    assert rollup.roi == pytest.approx(float((rollup.revenue - rollup.cost) / rollup.cost))
    assert rollup.budget_used == pytest.approx(float(rollup.cost) / 100)
    assert rollup.budget_left == Decimal("100.00") - rollup.cost
    assert [line.name for line in detail.campaigns] == ["Spring", "Summer"]
    by_metric = {o.metric.value: o for o in detail.objectives}
    # Started with the first launch; 2 conversions in 10 days → 6.1 by the end of March: behind 10.
    assert by_metric["conversions"].current == 2.0 and by_metric["conversions"].verdict == Verdict.BEHIND
    assert by_metric["named_conversion"].current == 1.0


def test_a_programme_without_launched_campaigns(session: Session, tenant: Tenant) -> None:
    pid = create(session, tenant.id, budget=Decimal("50"))
    objective(session, tenant.id, programme_id=pid)
    detail = programmes.programme_detail(session, workspace_id=tenant.id, programme_id=pid,
                                         now=datetime(2026, 3, 2, tzinfo=LAUNCH.tzinfo))
    assert detail.campaigns == [] and detail.rollup.sent == 0 and detail.rollup.budget_left == Decimal("50")
    assert detail.objectives[0].verdict == Verdict.NOT_STARTED
