"""Send-time audience rules, each with its reason, evaluated in one query per sub-chunk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kempen.delivery.control import launch_campaign
from kempen.delivery.rules import AudienceRules, apply_rules
from kempen.models import (
    Channel,
    Consent,
    ConsentStatus,
    Contact,
    Delivery,
    DeliveryReason,
    DeliveryStatus,
    Suppression,
    SuppressionReason,
)
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace

pytestmark = pytest.mark.usefixtures("parked")

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _launched(session: Session, ws: int) -> dict[int, int]:
    """Launch a campaign to every contact of the workspace; return {contact id: delivery id}."""
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    return dict(session.execute(select(Delivery.contact_id, Delivery.id)
                                .where(Delivery.campaign_id == built.campaign_id)).all())


def _consent(session: Session, ws: int, contact_id: int, status: ConsentStatus) -> None:
    session.execute(update(Consent).where(Consent.contact_id == contact_id).values(status=status))


def test_each_rule_gives_its_reason(session: Session) -> None:
    ws = new_workspace(session)
    ok, denied, unsubscribed, suppressed = add_contacts(session, ws, 4)
    [no_consent] = add_contacts(session, ws, 1, consent=None)
    [no_email] = add_contacts(session, ws, 1, email=False)
    deliveries = _launched(session, ws)
    _consent(session, ws, denied, ConsentStatus.DENIED)
    _consent(session, ws, unsubscribed, ConsentStatus.UNSUBSCRIBED)
    address = session.scalar(select(Contact.email_normalized).where(Contact.id == suppressed))
    session.execute(insert(Suppression).values(workspace_id=ws, channel=Channel.EMAIL, address=address,
                                               reason=SuppressionReason.MANUAL, note=""))
    session.commit()
    outcome = apply_rules(session, workspace_id=ws, delivery_ids=list(deliveries.values()),
                          rules=AudienceRules(Channel.EMAIL), now=NOON)
    reasons = {delivery: reason for delivery, reason in outcome.skipped}
    assert reasons == {deliveries[denied]: DeliveryReason.NO_CONSENT,
                       deliveries[unsubscribed]: DeliveryReason.UNSUBSCRIBED,
                       deliveries[suppressed]: DeliveryReason.SUPPRESSED,
                       deliveries[no_consent]: DeliveryReason.NO_CONSENT,
                       deliveries[no_email]: DeliveryReason.NO_ADDRESS}
    [sendable] = outcome.sendable
    assert sendable.delivery_id == deliveries[ok] and sendable.address.endswith("@Example.com")
    assert outcome.deferred == []


def test_rules_are_scoped_to_the_workspace(session: Session) -> None:
    ws, other = new_workspace(session), new_workspace(session)
    [contact] = add_contacts(session, ws, 1)
    deliveries = _launched(session, ws)
    address = session.scalar(select(Contact.email_normalized).where(Contact.id == contact))
    # The same address suppressed in another workspace does not count here.
    session.execute(insert(Suppression).values(workspace_id=other, channel=Channel.EMAIL, address=address,
                                               reason=SuppressionReason.MANUAL, note=""))
    session.commit()
    outcome = apply_rules(session, workspace_id=ws, delivery_ids=list(deliveries.values()),
                          rules=AudienceRules(Channel.EMAIL), now=NOON)
    assert len(outcome.sendable) == 1
    # And another workspace cannot evaluate (or see) this workspace's deliveries.
    assert apply_rules(session, workspace_id=other, delivery_ids=list(deliveries.values()),
                       rules=AudienceRules(Channel.EMAIL), now=NOON).sendable == []


def test_frequency_cap_counts_sends_of_other_campaigns_in_the_window(session: Session) -> None:
    ws = new_workspace(session)
    capped, recent_once, long_ago = add_contacts(session, ws, 3)
    for _ in range(2):  # two earlier campaigns
        earlier = _launched(session, ws)
        session.execute(update(Delivery).where(Delivery.id == earlier[capped])
                        .values(status=DeliveryStatus.SENT, sent_at=NOON - timedelta(days=2)))
        session.execute(update(Delivery).where(Delivery.id == earlier[long_ago])
                        .values(status=DeliveryStatus.SENT, sent_at=NOON - timedelta(days=8)))
    session.execute(update(Delivery).where(Delivery.id == earlier[recent_once])
                    .values(status=DeliveryStatus.SENT, sent_at=NOON - timedelta(hours=1)))
    session.commit()
    deliveries = _launched(session, ws)
    rules = AudienceRules(Channel.EMAIL, cap_count=2, cap_days=7)
    outcome = apply_rules(session, workspace_id=ws, delivery_ids=list(deliveries.values()), rules=rules, now=NOON)
    assert outcome.skipped == [(deliveries[capped], DeliveryReason.FREQUENCY_CAP)]
    assert {r.contact_id for r in outcome.sendable} == {recent_once, long_ago}
    # A campaign that does not respect the cap (count 0) sends to everyone.
    free = apply_rules(session, workspace_id=ws, delivery_ids=list(deliveries.values()),
                       rules=AudienceRules(Channel.EMAIL), now=NOON)
    assert len(free.sendable) == 3


def test_quiet_hours_defer_to_the_local_morning_of_each_contact(session: Session) -> None:
    ws = new_workspace(session)
    [amsterdam] = add_contacts(session, ws, 1, time_zone="Europe/Amsterdam")
    [tokyo] = add_contacts(session, ws, 1, time_zone="Asia/Tokyo")
    [new_york] = add_contacts(session, ws, 1, time_zone="America/New_York")
    [unknown_zone] = add_contacts(session, ws, 1, time_zone="Nowhere/Special")
    deliveries = _launched(session, ws)
    rules = AudienceRules(Channel.EMAIL, quiet_start=21 * 60, quiet_end=8 * 60, default_time_zone="Europe/Lisbon")
    # 21:30 UTC: 23:30 in Amsterdam, 06:30 next day in Tokyo, 17:30 in New York, 22:30 in Lisbon (default zone).
    now = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)
    outcome = apply_rules(session, workspace_id=ws, delivery_ids=list(deliveries.values()), rules=rules, now=now)
    assert dict(outcome.deferred) == {
        deliveries[amsterdam]: datetime(2026, 6, 2, 6, 0, tzinfo=UTC),   # 08:00 CEST
        deliveries[tokyo]: datetime(2026, 6, 1, 23, 0, tzinfo=UTC),      # 08:00 JST, past midnight
        deliveries[unknown_zone]: datetime(2026, 6, 2, 7, 0, tzinfo=UTC),  # 08:00 WEST in Lisbon
    }
    assert [r.contact_id for r in outcome.sendable] == [new_york] and outcome.skipped == []
