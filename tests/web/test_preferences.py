"""The public preference centre /p/{token}: shows choices on GET, saves them on POST, refuses forgeries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import (
    AuditEntry,
    Channel,
    Consent,
    ConsentStatus,
    Suppression,
    TopicSubscription,
    TouchKind,
)
from kempen.tracking import topics
from kempen.tracking.unsubscribe import unsubscribe_url
from tests.conftest import Tenant
from tests.tracking.test_bounces import events, sent_delivery


def _setup(session: Session, tenant: Tenant) -> tuple[str, int, int, str]:
    delivery = sent_delivery(session, tenant.id)
    news = topics.create_topic(session, workspace_id=tenant.id, actor="t",
                               data=topics.TopicCreate(key="news", name="Newsletter"))
    session.commit()
    url = unsubscribe_url(workspace_id=tenant.id, contact_id=delivery.contact_id, channel=Channel.EMAIL,
                          campaign_id=delivery.campaign_id, delivery_id=delivery.id)
    assert delivery.address
    return url.rsplit("/", 1)[1], delivery.contact_id, news.id, delivery.address


def test_get_shows_and_changes_nothing(session: Session, tenant: Tenant) -> None:
    token, contact_id, _, address = _setup(session, tenant)
    page = tenant.client.get(f"/p/{token}")
    assert page.status_code == 200 and "Newsletter" in page.text and address not in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert 'value="email" checked' in page.text
    assert session.scalars(select(TopicSubscription).where(TopicSubscription.contact_id == contact_id)).all() == []
    assert f"/p/{token}" in tenant.client.get(f"/u/{token}").text


def test_post_saves_choices_and_can_undo(session: Session, tenant: Tenant) -> None:
    token, contact_id, topic_id, address = _setup(session, tenant)
    tenant.client.cookies.clear()
    saved = tenant.client.post(f"/p/{token}", data={"channel": ["sms"], "action": "save"})
    assert saved.status_code == 200 and "Your choices are saved" in saved.text
    session.expire_all()
    email = session.get(Consent, (contact_id, Channel.EMAIL))
    assert email is not None and email.status == ConsentStatus.UNSUBSCRIBED
    sms = session.get(Consent, (contact_id, Channel.SMS))
    assert sms is not None and sms.status == ConsentStatus.GRANTED
    choice = session.get(TopicSubscription, (contact_id, topic_id))
    assert choice is not None and choice.subscribed is False
    assert session.scalar(select(Suppression).where(Suppression.workspace_id == tenant.id,
                                                    Suppression.address == address)) is not None
    [event] = events(session, tenant.id, TouchKind.UNSUBSCRIBE)
    assert event.detail == {"source": "preference_centre"} and event.channel == Channel.EMAIL
    back = tenant.client.post(f"/p/{token}", data={"channel": ["email"], "topic": [str(topic_id)]})
    assert back.status_code == 200
    session.expire_all()
    assert session.get(Consent, (contact_id, Channel.EMAIL)).status == ConsentStatus.GRANTED  # type: ignore[union-attr]
    assert session.get(TopicSubscription, (contact_id, topic_id)).subscribed is True  # type: ignore[union-attr]
    assert session.scalar(select(Suppression).where(Suppression.workspace_id == tenant.id,
                                                    Suppression.address == address)) is None
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.workspace_id == tenant.id,
                                                                  AuditEntry.actor == f"contact:{contact_id}")))
    assert {"consent.changed", "topic.subscription_changed", "contact.unsubscribed"} <= actions


def test_everything_off_forged_token_and_cross_site(session: Session, tenant: Tenant) -> None:
    token, contact_id, topic_id, _ = _setup(session, tenant)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert tenant.client.get(f"/p/{forged}").status_code == 400
    assert tenant.client.post(f"/p/{forged}", data={"action": "everything"}).status_code == 400
    cross = tenant.client.post(f"/p/{token}", data={"action": "everything"},
                               headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    session.expire_all()
    assert session.get(Consent, (contact_id, Channel.EMAIL)).status == ConsentStatus.GRANTED  # type: ignore[union-attr]
    done = tenant.client.post(f"/p/{token}", data={"channel": ["email"], "topic": [str(topic_id)],
                                                   "action": "everything"})
    assert done.status_code == 200
    session.expire_all()
    assert session.get(Consent, (contact_id, Channel.EMAIL)).status == ConsentStatus.UNSUBSCRIBED  # type: ignore[union-attr]
    assert session.get(TopicSubscription, (contact_id, topic_id)).subscribed is False  # type: ignore[union-attr]
