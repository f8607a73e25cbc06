"""Audience rules applied right before sending, in bulk, one query per sub-chunk of deliveries.

Evaluated at send time (not at launch) so that what happened since launch counts: a contact who
unsubscribed a minute ago, an address that bounced in another campaign, a send that used up the
frequency cap. In order: an address on the channel (no_address); consent for the channel granted
(unsubscribed when the consent says so, no_consent otherwise, the same definition as the segment
preview's reachability); the address not suppressed (suppressed); not opted out of the campaign's
topic in the preference centre (topic_opted_out); fewer than the cap's count of
messages sent on the channel in the cap's window (frequency_cap). Quiet hours in the contact's time
zone (else the workspace's) do not drop a message: it waits until they end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session, aliased

from kempen.delivery.quiet_hours import quiet_until, zone
from kempen.models import (
    Campaign,
    Channel,
    Consent,
    ConsentStatus,
    Contact,
    Delivery,
    DeliveryReason,
    Suppression,
    TopicSubscription,
    WorkspaceSendSettings,
)


@dataclass(frozen=True, slots=True)
class AudienceRules:
    """The rule settings of one campaign message: its channel and the workspace's send settings."""

    channel: Channel
    cap_count: int = 0          # 0: no frequency cap
    cap_days: int = 7
    quiet_start: int = 0        # minutes after local midnight; start == end: no quiet hours
    quiet_end: int = 0
    default_time_zone: str = "UTC"

    @classmethod
    def for_message(cls, channel: Channel, settings: WorkspaceSendSettings, *, quiet_hours: bool,
                    frequency_cap: bool) -> AudienceRules:
        return cls(channel=channel,
                   cap_count=settings.frequency_cap_count if frequency_cap else 0,
                   cap_days=settings.frequency_cap_days,
                   quiet_start=settings.quiet_hours_start if quiet_hours else 0,
                   quiet_end=settings.quiet_hours_end if quiet_hours else 0,
                   default_time_zone=settings.default_time_zone)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A delivery that passed every rule, with what sending it needs."""

    delivery_id: int
    contact_id: int
    variant_id: int
    attempts: int
    address: str


@dataclass
class RuleOutcome:
    sendable: list[Recipient] = field(default_factory=list)
    skipped: list[tuple[int, DeliveryReason]] = field(default_factory=list)
    deferred: list[tuple[int, datetime]] = field(default_factory=list)


def _address_columns(channel: Channel) -> tuple[Any, Any]:
    """(the address to send to, the normalised form suppressions hold) on a channel."""
    if channel == Channel.EMAIL:
        return func.coalesce(Contact.email, Contact.email_normalized), Contact.email_normalized
    if channel == Channel.SMS:
        return Contact.phone, Contact.phone
    # Push, ads and direct mail have no address on the contact record yet.
    return literal(None), literal(None)


def _inputs_query(workspace_id: int, delivery_ids: Sequence[int], rules: AudienceRules, now: datetime) -> Any:
    send_to, normalised = _address_columns(rules.channel)
    consent = aliased(Consent)
    suppression = aliased(Suppression)
    recent: Any = literal(0)
    if rules.cap_count > 0:
        sent = aliased(Delivery)
        recent = (select(func.count()).where(
            sent.workspace_id == workspace_id, sent.contact_id == Delivery.contact_id,
            sent.channel == rules.channel, sent.sent_at >= now - timedelta(days=rules.cap_days))
            .scalar_subquery())
    return (
        select(Delivery.id, Delivery.contact_id, Delivery.variant_id, Delivery.attempts, send_to.label("address"),
               Contact.time_zone, consent.status.label("consent"), suppression.id.label("suppressed"),
               TopicSubscription.topic_id.label("topic_opted_out"), recent.label("recent"))
        .join(Contact, and_(Contact.id == Delivery.contact_id, Contact.workspace_id == workspace_id))
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        # Topics are opt-out: only a row saying "not subscribed" to the campaign's topic skips the contact.
        .outerjoin(TopicSubscription, and_(TopicSubscription.contact_id == Delivery.contact_id,
                                           TopicSubscription.topic_id == Campaign.topic_id,
                                           TopicSubscription.subscribed.is_(False)))
        .outerjoin(consent, and_(consent.workspace_id == workspace_id, consent.contact_id == Delivery.contact_id,
                                 consent.channel == rules.channel))
        .outerjoin(suppression, and_(suppression.workspace_id == workspace_id,
                                     suppression.channel == rules.channel, suppression.address == normalised))
        .where(Delivery.workspace_id == workspace_id, Delivery.id.in_(delivery_ids))
        .order_by(Delivery.id)
    )


def _reason(row: Any, rules: AudienceRules) -> DeliveryReason | None:
    if not row.address:
        return DeliveryReason.NO_ADDRESS
    if row.consent != ConsentStatus.GRANTED:
        return DeliveryReason.UNSUBSCRIBED if row.consent == ConsentStatus.UNSUBSCRIBED else DeliveryReason.NO_CONSENT
    if row.suppressed is not None:
        return DeliveryReason.SUPPRESSED
    if row.topic_opted_out is not None:
        return DeliveryReason.TOPIC_OPTED_OUT
    if rules.cap_count > 0 and row.recent >= rules.cap_count:
        return DeliveryReason.FREQUENCY_CAP
    return None


def apply_rules(session: Session, *, workspace_id: int, delivery_ids: Sequence[int], rules: AudienceRules,
                now: datetime) -> RuleOutcome:
    """Sort deliveries into sendable now, skipped (with the reason) and deferred past quiet hours."""
    outcome = RuleOutcome()
    if not delivery_ids:
        return outcome
    default_zone = zone(rules.default_time_zone) or zone("UTC")
    assert default_zone is not None
    for row in session.connection().execute(_inputs_query(workspace_id, delivery_ids, rules, now)):
        reason = _reason(row, rules)
        if reason is not None:
            outcome.skipped.append((row.id, reason))
            continue
        until = quiet_until(now, zone(row.time_zone) or default_zone, rules.quiet_start, rules.quiet_end)
        if until is not None:
            outcome.deferred.append((row.id, until))
            continue
        outcome.sendable.append(Recipient(row.id, row.contact_id, row.variant_id, row.attempts, row.address))
    return outcome
