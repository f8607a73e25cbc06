"""The objectives card on the campaign page and the programme pages: what each role sees and may change."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.models import Campaign, Role
from kempen.planning import objectives, programmes, schemas
from tests.conftest import Tenant
from tests.planning.objective_helpers import NOW, convert
from tests.reporting.conftest import add_costs, build_campaign
from tests.web.test_campaign_pages import as_role, make_world, post, ready_campaign

HTMX = {"HX-Request": "true"}
GOAL = {"metric": "conversions", "baseline": "0", "target": "500", "deadline": "2100-05-31",
        "relevance": "Biggest season"}


def test_the_campaign_page_loads_the_card(session: Session, tenant: Tenant) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    viewer = as_role(tenant, session, Role.VIEWER)
    page = viewer.client.get(f"/campaigns/{campaign.id}").text
    assert f'hx-get="/campaigns/{campaign.id}/objectives"' in page
    card = viewer.client.get(f"/campaigns/{campaign.id}/objectives", headers=HTMX)
    assert card.status_code == 200 and 'id="objective-list"' in card.text
    assert "Not started: the target is 100 conversions by 1 January 2100." in card.text
    assert 'id="objective-form"' not in card.text and "Remove" not in card.text  # viewers only read


def test_a_marketer_adds_and_removes_an_objective(session: Session, tenant: Tenant) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    marketer = as_role(tenant, session, Role.MARKETER)
    card = post(marketer, f"/campaigns/{campaign.id}/objectives", **{**GOAL, "metric": "click_rate",
                                                                     "baseline": "2", "target": "3.5"})
    assert card.status_code == 303 and card.headers["location"].endswith(f"/campaigns/{campaign.id}#objectives")
    [added] = [o for o in objectives.list_objectives(session, workspace_id=tenant.id, campaign_id=campaign.id)
               if o.metric.value == "click_rate"]
    assert (added.baseline, added.target) == (Decimal("0.02"), Decimal("0.035"))  # percentages → fractions
    shown = marketer.client.get(f"/campaigns/{campaign.id}/objectives", headers=HTMX).text
    assert "from 2.0 % to 3.5 % by 31 May 2100" in shown and "Why: Biggest season" in shown
    bad = marketer.client.post(f"/campaigns/{campaign.id}/objectives", headers=HTMX,
                               data={"csrf_token": marketer.csrf, **GOAL, "deadline": "2001-01-01"})
    assert bad.status_code == 200 and 'id="objective-problem"' in bad.text and "is in the past" in bad.text
    assert 'value="2001-01-01"' in bad.text  # the form keeps what was typed
    plain = post(marketer, f"/campaigns/{campaign.id}/objectives", **{**GOAL, "target": "0"})  # no HTMX
    assert plain.status_code == 422 and "The objective was not saved" in plain.text
    assert "equals the baseline" in plain.text
    gone = marketer.client.post(f"/campaigns/{campaign.id}/objectives/{added.id}/delete", headers=HTMX,
                                data={"csrf_token": marketer.csrf})
    assert gone.status_code == 200 and f'id="objective-{added.id}"' not in gone.text


def test_viewers_and_other_workspaces_cannot_change(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    world = make_world(session, tenant.id)
    campaign = ready_campaign(session, tenant.id, world.segment_id)
    viewer = as_role(tenant, session, Role.VIEWER)
    assert post(viewer, f"/campaigns/{campaign.id}/objectives", **GOAL).status_code == 403
    [existing] = objectives.list_objectives(session, workspace_id=tenant.id, campaign_id=campaign.id)
    assert post(viewer, f"/campaigns/{campaign.id}/objectives/{existing.id}/delete").status_code == 403
    stranger = as_role(other_tenant, session, Role.MARKETER, own_client=True)
    assert stranger.client.get(f"/campaigns/{campaign.id}/objectives").status_code == 404
    assert post(stranger, f"/campaigns/{campaign.id}/objectives", **GOAL).status_code == 404
    assert post(stranger, f"/campaigns/{campaign.id}/objectives/{existing.id}/delete").status_code == 404
    assert len(objectives.list_objectives(session, workspace_id=tenant.id, campaign_id=campaign.id)) == 1


def test_programmes_list_create_and_detail(session: Session, tenant: Tenant) -> None:
    marketer = as_role(tenant, session, Role.MARKETER)
    page = marketer.client.get("/programmes").text
    assert 'href="/programmes" aria-current="page"' in page and "No programmes yet" in page
    created = post(marketer, "/programmes", name="Spring relaunch", budget="100", starts_on="2026-03-01",
                   owner_id=str(tenant.owner_id))
    assert created.status_code == 303
    pid = int(created.headers["location"].rsplit("/", 1)[1])
    owner = f"{tenant.workspace.slug}@example.com"
    assert owner in marketer.client.get("/programmes").text
    assert f"Owner: {owner}." in marketer.client.get(f"/programmes/{pid}").text
    stranger = post(marketer, "/programmes", name="Elsewhere", owner_id="999999")
    assert stranger.status_code == 422 and "not a member of this workspace" in stranger.text
    again = post(marketer, "/programmes", name="Spring relaunch")
    assert again.status_code == 409 and "already exists" in again.text
    built = build_campaign(session, tenant.id, name="Spring mail")
    add_costs(session, built)
    convert(session, built, "c1", name="purchase", hours=4, value="80.00")
    assert post(marketer, f"/programmes/{pid}/campaigns", campaign_id=str(built.campaign_id)).status_code == 303
    added = post(marketer, f"/programmes/{pid}/objectives", **{**GOAL, "metric": "revenue", "target": "1000"})
    assert added.status_code == 303 and added.headers["location"].endswith("done=objective-added")
    detail = marketer.client.get(f"/programmes/{pid}").text
    report = programmes.programme_detail(session, workspace_id=tenant.id, programme_id=pid, now=NOW).rollup
    assert "Spring mail" in detail and f'id="rollup-sent">{report.sent}<' in detail
    assert "EUR 30.07 spent of EUR 100.00 (30 %), EUR 69.93 left." in detail
    assert "revenue by 31 May 2100, target EUR 1,000.00" in detail
    bad = post(marketer, f"/programmes/{pid}", name="Spring relaunch", starts_on="2026-03-10", ends_on="2026-03-01")
    assert bad.status_code == 422 and "cannot end before it starts" in bad.text
    assert post(marketer, f"/programmes/{pid}/campaigns/{built.campaign_id}/remove").status_code == 303
    session.expire_all()
    assert session.get(Campaign, built.campaign_id).programme_id is None  # type: ignore[union-attr]
    assert post(marketer, f"/programmes/{pid}/delete").headers["location"] == "/programmes?deleted=1"


def test_programme_pages_by_role_and_workspace(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    pid = programmes.create_programme(session, workspace_id=tenant.id, actor="test",
                                      data=schemas.ProgrammeCreate(name="Mine")).id
    session.commit()
    viewer = as_role(tenant, session, Role.VIEWER)
    page = viewer.client.get(f"/programmes/{pid}").text
    assert "Mine" in page and 'id="programme-edit-form"' not in page and 'id="assign-form"' not in page
    assert 'id="programme-form"' not in viewer.client.get("/programmes").text
    assert post(viewer, "/programmes", name="Theirs").status_code == 403
    assert post(viewer, f"/programmes/{pid}/delete").status_code == 403
    stranger = as_role(other_tenant, session, Role.ADMIN, own_client=True)
    assert stranger.client.get(f"/programmes/{pid}").status_code == 404
    assert post(stranger, f"/programmes/{pid}", name="Stolen").status_code == 404
    assert post(stranger, f"/programmes/{pid}/delete").status_code == 404
    assert "Mine" not in stranger.client.get("/programmes").text
