"""Campaign test helpers: a segment, campaigns in any status, email content that compiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.campaigns import messages, schemas, service, settings
from kempen.models import Campaign, CampaignStatus, Channel, Objective, ObjectiveMetric
from kempen.segments import schemas as segment_schemas
from kempen.segments import service as segments
from tests.conftest import Tenant, unique

ACTOR = "test"
HTML = "<html><body><p>Hi {{ first_name | default('there') }},</p><p>Our news.</p></body></html>"


@dataclass
class World:
    """A workspace with a segment and a sender address, ready for campaigns."""

    session: Session
    id: int
    segment_id: int
    slug: str

    def campaign(self, *, ready: bool = True, status: CampaignStatus = CampaignStatus.DRAFT,
                 name: str | None = None) -> Campaign:
        """A campaign with one email message (when ready), forced into `status`."""
        campaign = service.create_campaign(
            self.session, workspace_id=self.id, actor=ACTOR,
            data=schemas.CampaignCreate(name=name or unique("c-"), segment_id=self.segment_id if ready else None))
        if ready:
            add_email(self.session, self.id, campaign.id)
            add_objective(self.session, self.id, campaign.id)
        if status != CampaignStatus.DRAFT:
            force_status(self.session, campaign, status)
        self.session.commit()
        return campaign


def add_email(session: Session, workspace_id: int, campaign_id: int, *, subject: str = "News for {{ first_name }}",
              html: str = HTML, variants: int = 1) -> int:
    """Add an email message with `variants` variants split evenly; return its id."""
    data = schemas.MessageCreate(channel=Channel.EMAIL, variants=[
        schemas.VariantCreate(subject=subject, html=html) for _ in range(variants)])
    return messages.add_message(session, workspace_id=workspace_id, actor=ACTOR, campaign_id=campaign_id,
                                data=data).id


def add_objective(session: Session, workspace_id: int, campaign_id: int) -> None:
    """Give a campaign the measurable objective that review asks for (written directly, not through planning)."""
    session.add(Objective(workspace_id=workspace_id, campaign_id=campaign_id, metric=ObjectiveMetric.CONVERSIONS,
                          target=Decimal("100"), deadline=date(2100, 1, 1)))
    session.flush()


def force_status(session: Session, campaign: Campaign, status: CampaignStatus) -> None:
    """Put a campaign in a status directly (arranging a test, not exercising the rules)."""
    session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status=status)
                    .execution_options(synchronize_session=False))
    session.refresh(campaign)


def set_sender(session: Session, workspace_id: int, *, require_approval: bool = False) -> None:
    settings.update_send_settings(session, workspace_id=workspace_id, actor=ACTOR, data=schemas.SendSettingsUpdate(
        from_name="Shop", from_email="news@shop.example.com", require_approval=require_approval))


def make_world(session: Session, workspace_id: int, slug: str) -> World:
    """Give a workspace a segment and a sender address."""
    segment = segments.create_segment(session, workspace_id=workspace_id, actor=ACTOR,
                                      data=segment_schemas.SegmentCreate(name="everyone", text='country = "MY"'))
    set_sender(session, workspace_id)
    session.commit()
    return World(session, workspace_id, segment.id, slug)


def fresh_world(session: Session) -> World:
    slug = unique("ws-")
    return make_world(session, accounts.create_workspace(session, name=slug, slug=slug).id, slug)


@pytest.fixture
def world(session: Session) -> World:
    """A fresh workspace (without the API keys and client of `tenant`: service tests stay fast)."""
    return fresh_world(session)


@pytest.fixture
def other(session: Session) -> World:
    """Another workspace, whose rows the first must never see."""
    return fresh_world(session)


@pytest.fixture
def api_world(session: Session, tenant: Tenant) -> World:
    """The `tenant` workspace, ready for campaigns, for API tests."""
    return make_world(session, tenant.id, tenant.workspace.slug)
