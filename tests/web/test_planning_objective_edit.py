"""Editing objectives on the campaign page's card and on the programme page: who may, and the SMART refusals."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.models import Role
from kempen.planning import objectives, programmes, schemas
from tests.conftest import Tenant
from tests.web.test_campaign_pages import as_role, make_world, post, ready_campaign

HTMX = {"HX-Request": "true"}
CHANGE = {"baseline": "0", "target": "250", "deadline": "2100-06-30", "relevance": "Summer", "description": ""}


def test_a_marketer_edits_a_campaign_objective_in_its_card(session: Session, tenant: Tenant) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    [goal] = objectives.list_objectives(session, workspace_id=tenant.id, campaign_id=campaign.id)
    marketer = as_role(tenant, session, Role.MARKETER)
    card = marketer.client.get(f"/campaigns/{campaign.id}/objectives", headers=HTMX).text
    assert f'id="objective-{goal.id}-edit-form"' in card and 'value="100"' in card  # filled with what it is
    url = f"/campaigns/{campaign.id}/objectives/{goal.id}"
    saved = marketer.client.post(url, headers=HTMX, data={"csrf_token": marketer.csrf, **CHANGE})
    assert saved.status_code == 200 and "from 0 to 250 by 30 Jun 2100" in saved.text and "Why: Summer" in saved.text
    session.expire_all()
    assert (goal.target, goal.relevance) == (Decimal("250"), "Summer")
    same = marketer.client.post(url, headers=HTMX, data={"csrf_token": marketer.csrf, **CHANGE, "target": "0"})
    assert f'id="objective-{goal.id}-edit-problem"' in same.text and "equals the baseline" in same.text
    assert f'<details class="objective-edit" id="objective-{goal.id}-edit" open>' in same.text
    past = marketer.client.post(url, headers=HTMX, data={"csrf_token": marketer.csrf, **CHANGE,
                                                         "deadline": "2001-01-01"})
    assert "is in the past" in past.text and 'value="2001-01-01"' in past.text  # what was typed stays
    empty = marketer.client.post(url, headers=HTMX, data={"csrf_token": marketer.csrf, **CHANGE, "target": ""})
    assert "enter a target" in empty.text
    plain = post(marketer, url, **{**CHANGE, "target": "abc"})  # without HTMX: a page saying why
    assert plain.status_code == 422 and "The objective was not saved" in plain.text
    session.expire_all()
    assert goal.target == Decimal("250")


def test_rates_are_edited_in_percent(session: Session, tenant: Tenant) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    rate = objectives.add_objective(session, workspace_id=tenant.id, actor="test", campaign_id=campaign.id,
                                    data=schemas.ObjectiveCreate(metric="click_rate", baseline=Decimal("0.02"),
                                                                 target=Decimal("0.035"), deadline="2100-01-01"))
    session.commit()
    marketer = as_role(tenant, session, Role.MARKETER)
    card = marketer.client.get(f"/campaigns/{campaign.id}/objectives", headers=HTMX).text
    assert f'id="objective-{rate.id}-edit-target" name="target" value="3.5"' in card
    bad = marketer.client.post(f"/campaigns/{campaign.id}/objectives/{rate.id}", headers=HTMX,
                               data={"csrf_token": marketer.csrf, **CHANGE, "target": "150"})
    assert "is a fraction between 0 and 1" in bad.text
    assert post(marketer, f"/campaigns/{campaign.id}/objectives/{rate.id}", **{**CHANGE, "target": "4"}
                ).status_code == 303
    session.expire_all()
    assert rate.target == Decimal("0.04")


def test_who_may_edit_a_campaign_objective(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    [goal] = objectives.list_objectives(session, workspace_id=tenant.id, campaign_id=campaign.id)
    url = f"/campaigns/{campaign.id}/objectives/{goal.id}"
    for role in (Role.VIEWER, Role.ANALYST):
        member = as_role(tenant, session, role, own_client=True)
        assert f'id="objective-{goal.id}-edit-form"' not in member.client.get(url[: url.rindex("/")], headers=HTMX).text
        assert post(member, url, **CHANGE).status_code == 403
    for role in (Role.MANAGER, Role.ADMIN):
        assert post(as_role(tenant, session, role, own_client=True), url, **{**CHANGE, "target": "300"}
                    ).status_code == 303
    stranger = as_role(other_tenant, session, Role.ADMIN, own_client=True)
    assert post(stranger, url, **CHANGE).status_code == 404
    other = ready_campaign(session, tenant.id, world.segment_id, name="Another")
    assert post(as_role(tenant, session, Role.MARKETER, own_client=True),
                f"/campaigns/{other.id}/objectives/{goal.id}", **CHANGE).status_code == 404
    session.expire_all()
    assert goal.target == Decimal("300")


def test_a_programme_objective_is_edited_on_its_page(session: Session, tenant: Tenant,
                                                     other_tenant: Tenant) -> None:
    pid = programmes.create_programme(session, workspace_id=tenant.id, actor="test",
                                      data=schemas.ProgrammeCreate(name="Spring")).id
    goal = objectives.add_objective(session, workspace_id=tenant.id, actor="test", programme_id=pid,
                                    data=schemas.ObjectiveCreate(metric="revenue", target=Decimal("1000"),
                                                                 deadline="2100-01-01"))
    session.commit()
    marketer = as_role(tenant, session, Role.MARKETER)
    url = f"/programmes/{pid}/objectives/{goal.id}"
    assert f'id="objective-{goal.id}-edit-form"' in marketer.client.get(f"/programmes/{pid}").text
    saved = post(marketer, url, **{**CHANGE, "target": "2000"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=objective-saved")
    assert "Objective saved." in marketer.client.get(saved.headers["location"]).text
    refused = post(marketer, url, **{**CHANGE, "target": "-5"})
    assert refused.status_code == 422 and "cannot be negative" in refused.text
    assert f'id="objective-{goal.id}-edit-problem"' in refused.text and 'value="-5"' in refused.text
    viewer = as_role(tenant, session, Role.VIEWER, own_client=True)
    assert f'id="objective-{goal.id}-edit-form"' not in viewer.client.get(f"/programmes/{pid}").text
    assert post(viewer, url, **CHANGE).status_code == 403
    assert post(as_role(other_tenant, session, Role.ADMIN, own_client=True), url, **CHANGE).status_code == 404
    session.expire_all()
    assert goal.target == Decimal("2000")
