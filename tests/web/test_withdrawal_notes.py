"""The pages tell what an edit of an approved or scheduled campaign does: back to review where the
workspace requires approval, back to draft where it does not."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kempen.models import CampaignStatus
from tests.planning.test_budgets import make_campaign
from tests.web.conftest import LoggedIn
from tests.web.test_campaign_pages import make_world, ready_campaign, set_sender


@pytest.mark.parametrize(("require_approval", "back_to"), [(True, "review"), (False, "draft")])
def test_the_settings_form_says_where_an_edit_sends_the_campaign(logged_in: LoggedIn, session: Session,
                                                                 require_approval: bool, back_to: str) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    set_sender(session, ws, require_approval=require_approval)
    campaign = ready_campaign(session, ws, world.segment_id, status=CampaignStatus.SCHEDULED)
    page = logged_in.client.get(f"/campaigns/{campaign.id}")
    assert page.status_code == 200
    assert (f"Saving changes sends the campaign back to {back_to}: it needs approving and scheduling again."
            in page.text)


def test_a_draft_has_no_such_note(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    world = make_world(session, ws)
    campaign = ready_campaign(session, ws, world.segment_id)
    page = logged_in.client.get(f"/campaigns/{campaign.id}")
    assert page.status_code == 200 and 'id="edit-withdraws-approval"' not in page.text


def test_the_budget_page_says_a_budget_change_withdraws_the_approval(logged_in: LoggedIn, session: Session) -> None:
    campaign = make_campaign(session, logged_in.tenant.id, status=CampaignStatus.APPROVED)
    session.commit()
    page = logged_in.client.get(f"/campaigns/{campaign.id}/budget")
    assert page.status_code == 200
    assert "withdraws its approval: it goes back to review where the workspace requires approval" in page.text
    assert "back to draft for review" not in page.text
