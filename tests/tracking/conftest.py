"""Fixtures of the tracking tests."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from kempen.tracking.links import TrackedDelivery
from tests.conftest import Tenant
from tests.delivery.conftest import add_contacts, make_campaign

HTML = '<html><body><a href="https://shop.example/">Shop</a></body></html>'


@pytest.fixture
def delivery(session: Session, tenant: Tenant) -> TrackedDelivery:
    """A delivery of a one-link email campaign to one contact, sent an hour ago."""
    contact_id = add_contacts(session, tenant.id, 1)[0]
    built = make_campaign(session, tenant.id, html=HTML)
    return TrackedDelivery(workspace_id=tenant.id, delivery_id=5, contact_id=contact_id,
                           campaign_id=built.campaign_id, message_id=built.message_id,
                           variant_id=built.variant_ids[0], issued_at=int(time.time()) - 3600)
