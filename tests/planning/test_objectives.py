"""Objectives on both databases: SMART checks, values from the campaign report, pace, and the review gate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributionModel
from kempen.campaigns import lifecycle
from kempen.campaigns import service as campaigns
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import CampaignStatus
from kempen.planning import objectives, schemas
from kempen.planning.pace import Verdict
from kempen.reporting.report import campaign_report
from kempen.tracking.settings import get_tracking_settings
from tests.campaigns.conftest import fresh_world, set_sender
from tests.conftest import Tenant
from tests.planning.objective_helpers import ACTOR, NOW, convert, objective
from tests.reporting.conftest import Built, add_costs, build_campaign


@pytest.fixture
def built(session: Session, tenant: Tenant) -> Built:
    b = build_campaign(session, tenant.id)
    add_costs(session, b)
    settings = get_tracking_settings(session, workspace_id=tenant.id)
    settings.attribution_model = AttributionModel.LAST_TOUCH
    session.commit()
    # c1 clicked email A at +3 h: a purchase at +4 h and a sign-up at +5 h are credited to it.
    convert(session, b, "c1", name="purchase", hours=4, value="80.00")
    convert(session, b, "c1", name="sign_up", hours=5)
    return b


def test_smart_checks(session: Session, built: Built) -> None:
    with pytest.raises(InvalidInput, match="is in the past"):
        objectives.add_objective(session, workspace_id=built.workspace_id, actor=ACTOR, campaign_id=built.campaign_id,
                                 data=schemas.ObjectiveCreate(metric="conversions", target=10,
                                                              deadline=date(2026, 2, 1)), today=date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="equals the baseline"):
        objective(session, built.workspace_id, campaign_id=built.campaign_id, baseline="5", target="5")
    with pytest.raises(InvalidInput, match="fraction between 0 and 1"):
        objective(session, built.workspace_id, campaign_id=built.campaign_id, metric="click_rate", target="3")
    with pytest.raises(InvalidInput, match="cannot be negative"):
        objective(session, built.workspace_id, campaign_id=built.campaign_id, target="-3")
    with pytest.raises(ValidationError, match="needs conversion_name"):
        schemas.ObjectiveCreate(metric="named_conversion", target=10, deadline=date(2026, 3, 31))
    with pytest.raises(NotFound):
        objective(session, built.workspace_id + 10_000, campaign_id=built.campaign_id)
    big = objective(session, built.workspace_id, campaign_id=built.campaign_id, baseline="2", target="40")
    assert objectives.smart_warnings(big) == ["The target is more than 10× the baseline: is it achievable?"]


def test_current_values_come_from_the_campaign_report(session: Session, built: Built) -> None:
    ws, cid = built.workspace_id, built.campaign_id
    for fields in ({"metric": "conversions", "target": "5"}, {"metric": "revenue", "target": "100"},
                   {"metric": "named_conversion", "conversion_name": "sign_up", "target": "1"},
                   {"metric": "click_rate", "baseline": "0.5", "target": "0.9"},
                   {"metric": "roi", "target": "1"}):
        objective(session, ws, campaign_id=cid, **fields)
    report = campaign_report(session, workspace_id=ws, campaign_id=cid, now=NOW)
    found = {p.metric.value: p for p in objectives.campaign_progress(session, workspace_id=ws, campaign_id=cid,
                                                                    now=NOW)}
    assert found["conversions"].current == report.totals.conversions == 2.0
    assert found["revenue"].current == float(report.totals.revenue) == 80.0
    assert found["click_rate"].current == report.totals.click_rate
    assert found["roi"].current == report.totals.roi
    assert found["named_conversion"].current == 1.0 and found["named_conversion"].verdict == Verdict.DONE
    # 2 conversions in 10 days; the deadline (end of 31 March) is 30 days 14 hours after launch:
    # 2 × 734 h / 240 h = 6.12, past the target of 5 by less than a quarter → on pace.
    conversions = found["conversions"]
    assert conversions.projected == pytest.approx(2 * 734 / 240)
    assert conversions.progress == pytest.approx(0.4) and conversions.verdict == Verdict.ON_PACE
    assert conversions.sentence == "At this rate: 6.1 conversions by 31 March 2026, target 5 — on pace."
    # 80 of 100 in ten days → 244.67 by the deadline, more than a quarter past → ahead.
    assert found["revenue"].verdict == Verdict.AHEAD


def test_objectives_before_launch_are_not_started(session: Session) -> None:
    world = fresh_world(session)
    campaign = world.campaign()
    [existing] = objectives.list_objectives(session, workspace_id=world.id, campaign_id=campaign.id)
    [measured] = objectives.campaign_progress(session, workspace_id=world.id, campaign_id=campaign.id)
    assert measured.id == existing.id and measured.current is None and measured.verdict == Verdict.NOT_STARTED
    assert measured.sentence.startswith("Not started: the target is 100 conversions by 1 January 2100")


def test_update_and_remove(session: Session, built: Built) -> None:
    found = objective(session, built.workspace_id, campaign_id=built.campaign_id)
    objectives.update_objective(session, workspace_id=built.workspace_id, actor=ACTOR, objective=found,
                                data=schemas.ObjectiveUpdate(target=Decimal("8"), relevance="Spring revenue"))
    assert (found.target, found.relevance) == (Decimal("8"), "Spring revenue")
    with pytest.raises(InvalidInput, match="is in the past"):
        objectives.update_objective(session, workspace_id=built.workspace_id, actor=ACTOR, objective=found,
                                    data=schemas.ObjectiveUpdate(deadline=date(2020, 1, 1)))
    with pytest.raises(NotFound):
        objectives.get_objective_or_raise(session, workspace_id=built.workspace_id + 10_000, objective_id=found.id)
    objectives.remove_objective(session, workspace_id=built.workspace_id, actor=ACTOR, objective=found)
    assert objectives.list_objectives(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id) == []


def test_review_needs_a_measurable_objective(session: Session) -> None:
    world = fresh_world(session)
    campaign = world.campaign()
    for found in objectives.list_objectives(session, workspace_id=world.id, campaign_id=campaign.id):
        objectives.remove_objective(session, workspace_id=world.id, actor=ACTOR, objective=found)
    with pytest.raises(Conflict) as caught:
        lifecycle.submit_for_review(session, workspace_id=world.id, campaign_id=campaign.id, actor=ACTOR)
    assert [e["message"] for e in caught.value.errors] == ["Add at least one measurable objective."]
    assert campaigns.readiness_warnings(session, workspace_id=world.id, campaign_id=campaign.id) == [
        "Add at least one measurable objective: review asks for one."]  # shown on the page before submitting
    # Without required approval a draft may still be scheduled directly (review is skipped, not the gate).
    assert campaigns.transition(session, workspace_id=world.id, campaign_id=campaign.id, to=CampaignStatus.APPROVED,
                                actor=ACTOR).status == CampaignStatus.APPROVED
    objectives.add_objective(session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                             data=schemas.ObjectiveCreate(metric="clicks", target=50, deadline=date(2100, 1, 1)))
    lifecycle.request_changes(session, workspace_id=world.id, campaign_id=campaign.id, actor=ACTOR, comment="x")
    assert lifecycle.submit_for_review(session, workspace_id=world.id, campaign_id=campaign.id,
                                       actor=ACTOR).status == CampaignStatus.IN_REVIEW


def test_where_approval_is_required_approval_needs_an_objective_too(session: Session) -> None:
    world = fresh_world(session)
    set_sender(session, world.id, require_approval=True)
    campaign = world.campaign()
    lifecycle.submit_for_review(session, workspace_id=world.id, campaign_id=campaign.id, actor=ACTOR)
    for found in objectives.list_objectives(session, workspace_id=world.id, campaign_id=campaign.id):
        objectives.remove_objective(session, workspace_id=world.id, actor=ACTOR, objective=found)
    with pytest.raises(Conflict, match="Add at least one measurable objective"):
        lifecycle.approve(session, workspace_id=world.id, campaign_id=campaign.id, actor=ACTOR)
    # The page's readiness list says so (a problem here, not a mere warning).
    assert campaigns.readiness_problems(session, workspace_id=world.id, campaign_id=campaign.id) == [
        "Add at least one measurable objective."]
    assert campaigns.readiness_warnings(session, workspace_id=world.id, campaign_id=campaign.id) == []
