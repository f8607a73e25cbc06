"""Every unsubscribe through a link writes one `unsubscribe` tracking event naming the delivery."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.models import Channel, TouchKind
from kempen.tracking.unsubscribe import unsubscribe_url
from tests.conftest import Tenant
from tests.tracking.test_bounces import events, sent_delivery


def test_one_click_writes_one_event_with_the_delivery(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    url = unsubscribe_url(workspace_id=tenant.id, contact_id=delivery.contact_id, channel=Channel.EMAIL,
                          campaign_id=delivery.campaign_id, delivery_id=delivery.id)
    token = url.rsplit("/", 1)[1]
    for _ in range(2):
        assert tenant.client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    [event] = events(session, tenant.id, TouchKind.UNSUBSCRIBE)
    assert (event.delivery_id, event.campaign_id, event.message_id, event.variant_id, event.contact_id) == \
        (delivery.id, delivery.campaign_id, delivery.message_id, delivery.variant_id, delivery.contact_id)
    assert event.channel == Channel.EMAIL and event.detail == {"source": "one_click"}


def test_a_token_without_delivery_still_writes_the_event(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    url = unsubscribe_url(workspace_id=tenant.id, contact_id=delivery.contact_id, channel=Channel.EMAIL,
                          campaign_id=None, delivery_id=None)
    assert tenant.client.post("/u/" + url.rsplit("/", 1)[1]).status_code == 200
    [event] = events(session, tenant.id, TouchKind.UNSUBSCRIBE)
    assert (event.contact_id, event.delivery_id, event.campaign_id) == (delivery.contact_id, None, None)
    assert event.detail == {"source": "unsubscribe_page"}
