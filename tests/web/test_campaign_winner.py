"""The automatic winner on the campaign page: settings form with errors, the warning, the progress line and
"Pick winner now" by role."""

from __future__ import annotations

import html

from sqlalchemy.orm import Session

from kempen.campaigns import schemas
from kempen.campaigns import service as campaigns
from kempen.models import Campaign, CampaignStatus, Role
from tests.conftest import Tenant
from tests.web.conftest import LoggedIn
from tests.web.test_campaign_pages import add_audience, add_email, as_role, make_world, post


def winner_draft(session: Session, workspace_id: int, segment_id: int, **winner: object) -> Campaign:
    campaign = campaigns.create_campaign(session, workspace_id=workspace_id, actor="test",
                                        data=schemas.CampaignCreate(name="Spring sale", segment_id=segment_id,
                                                                    **winner))  # type: ignore[arg-type]
    add_email(session, workspace_id, campaign.id, variants=2)
    session.commit()
    return campaign


def test_the_settings_form_saves_and_shows_errors_with_what_was_typed(logged_in: LoggedIn,
                                                                       session: Session) -> None:
    world = make_world(session, logged_in.tenant.id)
    campaign = winner_draft(session, logged_in.tenant.id, world.segment_id)
    url = f"/campaigns/{campaign.id}"
    page = logged_in.client.get(url).text
    assert 'id="winner-settings"' in page and '<option value="">Off: split the whole audience at launch' in page
    saved = post(logged_in, url + "/winner-settings", winner_metric="click_rate", winner_test_percent="25",
                 wait_amount="2", wait_unit="days", winner_fallback="leader")
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=winner-settings#winner")
    session.expire_all()
    stored = session.get(Campaign, campaign.id)
    assert stored is not None
    assert (stored.winner_metric, stored.winner_test_percent, stored.winner_wait_minutes, stored.winner_fallback) == (
        "click_rate", 25, 2 * 24 * 60, "leader")
    page = logged_in.client.get(url).text
    assert 'value="2" inputmode' in page and '<option value="days" selected>' in page
    too_much = post(logged_in, url + "/winner-settings", winner_metric="click_rate", winner_test_percent="60",
                    wait_amount="10", wait_unit="minutes", winner_fallback="first")
    assert too_much.status_code == 422
    text = html.unescape(too_much.text)
    assert "Wait between 30 minutes and 7 days." in text and 'value="60"' in text
    assert "less than or equal to 50" in text
    garbled = post(logged_in, url + "/winner-settings", winner_metric="click_rate", winner_test_percent="lots",
                   wait_amount="4", wait_unit="hours", winner_fallback="first")
    assert garbled.status_code == 422 and "Give a whole number." in garbled.text
    off = post(logged_in, url + "/winner-settings", winner_metric="", winner_test_percent="25", wait_amount="2",
               wait_unit="days", winner_fallback="leader")
    assert off.status_code == 303
    session.expire_all()
    assert session.get(Campaign, campaign.id).winner_metric is None  # type: ignore[union-attr]


def test_a_viewer_cannot_change_it_and_a_conversion_metric_warns(tenant: Tenant, session: Session) -> None:
    world = make_world(session, tenant.id)
    campaign = winner_draft(session, tenant.id, world.segment_id, winner_metric="conversion_rate")
    viewer = as_role(tenant, session, Role.VIEWER)
    page = viewer.client.get(f"/campaigns/{campaign.id}").text
    assert 'id="winner-settings"' not in page and "Test on 20 % for 4 h, then the best conversion rate" in page
    assert "recorded no conversion or order yet" in page  # a warning on a ready campaign
    assert "Ready" in page
    refused = post(viewer, f"/campaigns/{campaign.id}/winner-settings", winner_metric="")
    assert refused.status_code == 403
    assert post(viewer, f"/campaigns/{campaign.id}/winner").status_code == 403


def test_the_progress_says_when_it_decides_and_a_marketer_picks_the_winner(tenant: Tenant,
                                                                           session: Session) -> None:
    world = make_world(session, tenant.id)
    add_audience(session, tenant.id, 20)
    campaign = winner_draft(session, tenant.id, world.segment_id, winner_metric="click_rate")
    marketer = as_role(tenant, session, Role.MARKETER)
    url = f"/campaigns/{campaign.id}"
    assert post(marketer, url + "/launch").status_code == 303
    page = html.unescape(marketer.client.get(url).text)
    assert "Testing on 20 % — winner picked on click rate at " in page and "Pick winner now…" in page
    assert 'id="winner-settings"' not in page  # settings are fixed once launched
    variant_b = campaigns.campaign_detail(session, workspace_id=tenant.id,
                                          campaign_id=campaign.id).messages[0].variants[1]
    picked = post(marketer, url + "/winner", variant_id=str(variant_b.id))
    assert picked.status_code == 303 and picked.headers["location"].endswith("done=winner")
    page = html.unescape(marketer.client.get(picked.headers["location"]).text)
    assert "Winner picked: it goes to the rest of the audience." in page
    assert "Winner: B, picked by hand, " in page and "sent to the remaining 16." in page
    assert "Pick winner now…" not in page
    again = post(marketer, url + "/winner")
    assert again.status_code == 409 and "decided already" in again.text
    session.expire_all()
    assert session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING  # type: ignore[union-attr]
