"""The topic audience rule: contacts who opted out of the campaign's topic are skipped with their reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.delivery.control import launch_campaign
from kempen.delivery.rules import AudienceRules, apply_rules
from kempen.models import Campaign, Channel, Delivery, DeliveryReason
from kempen.tracking import topics
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace

pytestmark = pytest.mark.usefixtures("parked")
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_opted_out_of_the_campaigns_topic_is_skipped(session: Session) -> None:
    ws = new_workspace(session)
    stays, leaves, leaves_other, comes_back = add_contacts(session, ws, 4)
    news = topics.create_topic(session, workspace_id=ws, actor=ACTOR, data=topics.TopicCreate(key="news", name="News"))
    other = topics.create_topic(session, workspace_id=ws, actor=ACTOR,
                                data=topics.TopicCreate(key="offers", name="Offers"))
    for contact, topic, subscribed in ((leaves, news.id, False), (leaves_other, other.id, False),
                                       (comes_back, news.id, False), (comes_back, news.id, True)):
        topics.set_choice(session, workspace_id=ws, actor=ACTOR, contact_id=contact, topic_id=topic,
                          subscribed=subscribed, source="test")
    built = make_campaign(session, ws)
    session.execute(update(Campaign).where(Campaign.id == built.campaign_id).values(topic_id=news.id))
    session.commit()
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    deliveries = dict(session.execute(select(Delivery.contact_id, Delivery.id)
                                      .where(Delivery.campaign_id == built.campaign_id)).all())
    outcome = apply_rules(session, workspace_id=ws, delivery_ids=list(deliveries.values()),
                          rules=AudienceRules(Channel.EMAIL), now=NOON)
    assert outcome.skipped == [(deliveries[leaves], DeliveryReason.TOPIC_OPTED_OUT)]
    assert sorted(r.contact_id for r in outcome.sendable) == sorted([stays, leaves_other, comes_back])


def test_campaign_without_topic_sends_to_topic_opt_outs(session: Session) -> None:
    ws = new_workspace(session)
    [contact] = add_contacts(session, ws, 1)
    news = topics.create_topic(session, workspace_id=ws, actor=ACTOR, data=topics.TopicCreate(key="news", name="News"))
    topics.set_choice(session, workspace_id=ws, actor=ACTOR, contact_id=contact, topic_id=news.id, subscribed=False,
                      source="test")
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    ids = list(session.scalars(select(Delivery.id).where(Delivery.campaign_id == built.campaign_id)))
    outcome = apply_rules(session, workspace_id=ws, delivery_ids=ids, rules=AudienceRules(Channel.EMAIL), now=NOON)
    assert outcome.skipped == [] and len(outcome.sendable) == 1
