"""Who may move a campaign through review, through the API: each role's allowed and refused steps, and an
edit through the API that withdraws an approval."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from kempen.models import CampaignStatus, Role
from kempen.teamwork import comments  # noqa: F401  (registers the reviewers' notification)
from tests.campaigns.conftest import World, set_sender
from tests.campaigns.test_api import PROBLEM, call
from tests.conftest import Tenant

S = CampaignStatus
ROLES = [Role.VIEWER, Role.ANALYST, Role.MARKETER, Role.MANAGER, Role.ADMIN]  # API keys go up to admin
# step → (the status it starts from, the body, the least role allowed, the status it ends in)
STEPS: dict[str, tuple[CampaignStatus, dict[str, Any] | None, Role, CampaignStatus]] = {
    "submit": (S.DRAFT, None, Role.MARKETER, S.IN_REVIEW),
    "approve": (S.IN_REVIEW, {"comment": "Fine"}, Role.MANAGER, S.APPROVED),
    "request-changes": (S.IN_REVIEW, {"comment": "Shorter subject"}, Role.MANAGER, S.DRAFT),
}


@pytest.fixture
def approving(session: Session, api_world: World) -> World:
    set_sender(session, api_world.id, require_approval=True)
    session.commit()
    return api_world


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_may_take_only_its_review_steps(tenant: Tenant, approving: World, step: str, role: Role) -> None:
    start, body, least, end = STEPS[step]
    campaign = approving.campaign(status=start)
    response = call(tenant, "POST", f"/campaigns/{campaign.id}/{step}", role, json=body)
    approving.session.refresh(campaign)
    if role.includes(least):
        assert response.status_code == 200, response.text
        assert response.json()["status"] == end.value and campaign.status == end
    else:
        assert response.status_code == 403 and response.headers["content-type"] == PROBLEM, response.text
        assert f"needs the {least.value} role" in response.json()["detail"]
        assert campaign.status == start


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_editing_an_approved_campaign_is_for_marketers_and_sends_it_back_to_review(
        tenant: Tenant, approving: World, role: Role) -> None:
    campaign = approving.campaign(status=S.APPROVED)
    message = call(tenant, "GET", f"/campaigns/{campaign.id}", Role.VIEWER).json()["messages"][0]
    path = f"/campaigns/{campaign.id}/messages/{message['id']}/variants/{message['variants'][0]['id']}"
    response = call(tenant, "PATCH", path, role, json={"subject": "Changed after approval"})
    approving.session.refresh(campaign)
    if role.includes(Role.MARKETER):
        assert response.status_code == 200, response.text
        assert campaign.status == S.IN_REVIEW
        assert call(tenant, "GET", f"/campaigns/{campaign.id}", Role.VIEWER).json()["status"] == "in_review"
    else:
        assert response.status_code == 403 and campaign.status == S.APPROVED


def test_reads_are_open_to_every_role(tenant: Tenant, approving: World) -> None:
    campaign = approving.campaign(status=S.IN_REVIEW)
    for role in ROLES:
        for path in (f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/readiness",
                     f"/campaigns/{campaign.id}/comments"):
            assert call(tenant, "GET", path, role).status_code == 200, (role, path)
