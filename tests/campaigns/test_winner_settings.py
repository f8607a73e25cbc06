"""The automatic winner's settings: validation, readiness, the campaign's JSON, and "pick winner now" over HTTP."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from sqlalchemy.orm import Session

from kempen.campaigns import messages, schemas, service
from kempen.campaigns.winner import describe_settings, wait_label
from kempen.experiments.schemas import Metric, WinnerFallback
from kempen.kit.errors import Conflict
from kempen.models import CampaignStatus, Role
from kempen.tracking.settings import get_tracking_settings
from tests.campaigns.conftest import ACTOR, World, add_email, add_objective, force_status
from tests.campaigns.test_api import call, new_campaign
from tests.conftest import Tenant

WINNER = {"winner_metric": "click_rate", "winner_test_percent": 25, "winner_wait_minutes": 90,
          "winner_fallback": "leader"}


def test_the_campaign_layer_names_the_same_metrics_and_fallbacks_as_experiments() -> None:
    assert set(get_args(schemas.WinnerMetric)) == {m.value for m in Metric}
    assert set(get_args(schemas.WinnerFallback)) == {f.value for f in WinnerFallback}


@pytest.mark.parametrize("bad", [
    {"winner_metric": "bounce_rate"}, {"winner_test_percent": 4}, {"winner_test_percent": 51},
    {"winner_wait_minutes": 29}, {"winner_wait_minutes": 7 * 24 * 60 + 1}, {"winner_fallback": "random"},
])
def test_out_of_range_settings_are_refused_with_the_field(tenant: Tenant, api_world: World,
                                                          bad: dict[str, Any]) -> None:
    body = {"name": "Spring", "segment_id": api_world.segment_id, **WINNER, **bad}
    response = call(tenant, "POST", "/campaigns", json=body)
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert next(iter(bad)) in response.text


def test_settings_round_trip_through_the_api_and_turn_off_with_null(tenant: Tenant, api_world: World) -> None:
    created = call(tenant, "POST", "/campaigns", json={"name": "Spring", "segment_id": api_world.segment_id,
                                                        **WINNER})
    assert created.status_code == 201, created.text
    body = created.json()
    assert {key: body[key] for key in WINNER} == WINNER
    assert body["winner_decide_at"] is None and body["winner_decision"] is None
    plain = new_campaign(tenant, api_world, name="Plain")
    assert (plain["winner_metric"], plain["winner_test_percent"], plain["winner_wait_minutes"],
            plain["winner_fallback"]) == (None, 20, 240, "first")
    url = f"/campaigns/{body['id']}"
    patched = call(tenant, "PATCH", url, json={"winner_wait_minutes": 7 * 24 * 60, "winner_metric": "open_rate"})
    assert patched.status_code == 200 and patched.json()["winner_wait_minutes"] == 10080
    assert patched.json()["winner_metric"] == "open_rate" and patched.json()["winner_fallback"] == "leader"
    off = call(tenant, "PATCH", url, json={"winner_metric": None})
    assert off.status_code == 200 and off.json()["winner_metric"] is None
    assert call(tenant, "PATCH", url, json=WINNER, role=Role.VIEWER).status_code == 403


def test_readiness_needs_two_variants_and_the_tracking_the_metric_needs(world: World, session: Session) -> None:
    campaign = service.create_campaign(session, workspace_id=world.id, actor=ACTOR, data=schemas.CampaignCreate(
        name="Spring", segment_id=world.segment_id, winner_metric="click_rate"))
    message_id = add_email(session, world.id, campaign.id)

    def problems() -> list[str]:
        return service.readiness_problems(session, workspace_id=world.id, campaign_id=campaign.id)

    assert problems() == ["The automatic winner needs at least two variants in a message: add a variant (A/B) or "
                          "turn the automatic winner off."]
    messages.add_variant(session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                         message_id=message_id, data=schemas.VariantCreate(subject="B", html="<p>B</p>"))
    assert problems() == []
    tracking = get_tracking_settings(session, workspace_id=world.id)
    tracking.track_clicks = False
    assert "click tracking is off" in " ".join(problems())
    service.update_campaign(session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(winner_metric="open_rate"))
    assert problems() == []
    tracking.track_opens = False
    assert "open tracking is off" in " ".join(problems())
    service.update_campaign(session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(winner_metric=None))
    assert problems() == []


def test_a_conversion_metric_without_any_conversion_is_a_warning_not_a_problem(world: World,
                                                                               session: Session) -> None:
    campaign = service.create_campaign(session, workspace_id=world.id, actor=ACTOR, data=schemas.CampaignCreate(
        name="Spring", segment_id=world.segment_id, winner_metric="conversion_rate"))
    add_email(session, world.id, campaign.id, variants=2)
    add_objective(session, world.id, campaign.id)  # else its absence is a warning too
    assert service.readiness_problems(session, workspace_id=world.id, campaign_id=campaign.id) == []
    warnings = service.readiness_warnings(session, workspace_id=world.id, campaign_id=campaign.id)
    assert len(warnings) == 1 and "recorded no conversion or order yet" in warnings[0]
    service.update_campaign(session, workspace_id=world.id, actor=ACTOR, campaign_id=campaign.id,
                            data=schemas.CampaignUpdate(winner_metric="click_rate"))
    assert service.readiness_warnings(session, workspace_id=world.id, campaign_id=campaign.id) == []


def test_settings_change_only_before_launch_withdraw_an_approval_and_are_copied(world: World,
                                                                               session: Session) -> None:
    approved = world.campaign(status=CampaignStatus.APPROVED)
    service.update_campaign(session, workspace_id=world.id, actor=ACTOR, campaign_id=approved.id,
                            data=schemas.CampaignUpdate(winner_metric="click_rate", winner_test_percent=10))
    assert approved.status == CampaignStatus.DRAFT and approved.winner_test_percent == 10
    copy = service.duplicate_campaign(session, workspace_id=world.id, actor=ACTOR, campaign_id=approved.id)
    assert (copy.winner_metric, copy.winner_test_percent, copy.winner_wait_minutes) == ("click_rate", 10, 240)
    force_status(session, approved, CampaignStatus.RUNNING)
    with pytest.raises(Conflict, match="only before launch"):
        service.update_campaign(session, workspace_id=world.id, actor=ACTOR, campaign_id=approved.id,
                                data=schemas.CampaignUpdate(winner_fallback="none"))


def test_settings_in_words(world: World, session: Session) -> None:
    campaign = world.campaign()
    assert describe_settings(campaign).startswith("off")
    campaign.winner_metric, campaign.winner_wait_minutes = "revenue_per_recipient", 24 * 60 + 90
    assert describe_settings(campaign) == (
        "test on 20 % for 1 d 1 h 30 min, then the best revenue per recipient to the rest; when no variant is "
        "significantly better: send the first variant")
    assert [wait_label(m) for m in (30, 240, 7 * 24 * 60)] == ["30 min", "4 h", "7 d"]


def test_pick_winner_now_over_http(tenant: Tenant, other_tenant: Tenant, api_world: World) -> None:
    campaign = call(tenant, "POST", "/campaigns", json={"name": "Spring", "segment_id": api_world.segment_id,
                                                         **WINNER}).json()
    plain = new_campaign(tenant, api_world, name="Plain")
    for created in (campaign, plain):
        add_email(api_world.session, api_world.id, created["id"], variants=2)
    api_world.session.commit()
    url = f"/campaigns/{campaign['id']}/winner"
    early = call(tenant, "POST", url)
    assert early.status_code == 409 and "only while it is running" in early.json()["detail"]
    for created in (campaign, plain):
        assert call(tenant, "POST", f"/campaigns/{created['id']}/launch").status_code == 200
    assert call(tenant, "POST", url, role=Role.ANALYST).status_code == 403
    assert call(other_tenant, "POST", url, role=Role.ADMIN).status_code == 404
    assert call(tenant, "POST", f"/campaigns/{plain['id']}/winner").status_code == 409
    foreign = call(tenant, "GET", f"/campaigns/{plain['id']}").json()["messages"][0]["variants"][1]
    refused = call(tenant, "POST", url, json={"variant_id": foreign["id"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "variant_id"
    mine = call(tenant, "GET", f"/campaigns/{campaign['id']}").json()["messages"][0]["variants"][1]
    picked = call(tenant, "POST", url, json={"variant_id": mine["id"]})
    assert picked.status_code == 200, picked.text
    body = picked.json()
    assert body["winner_variant_id"] == mine["id"] and body["winner_decided_at"] is not None
    assert body["winner_decision"]["messages"][0]["reason"] == "picked"
    assert body["status"] == "completed"  # nobody in the audience: the test and the rest are both empty
    assert call(tenant, "POST", url).status_code == 409
