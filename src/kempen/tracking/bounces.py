"""Apply bounce and complaint reports: match them to deliveries, record events, suppress addresses.

Matching: the returned message's Message-ID names the delivery (`<delivery id>.<keyed tag>@domain`,
made by the email channel and stored as `Delivery.provider_message_id`); it counts when the stored
value is exactly the same and the report's recipient is the delivery's address (or the report has
only one recipient: forwarding may have rewritten it). Otherwise the address is looked up among
contacts who were sent an email in the last `ADDRESS_MATCH_DAYS` days: a real bounce only follows a
send, and requiring one keeps a forged report from suppressing any address it likes.

Effects: a hard bounce suppresses the address (reason bounced); a soft bounce is only an event until
the contact has `SOFT_BOUNCE_LIMIT` of them within `SOFT_BOUNCE_DAYS`, which suppresses it too; a
complaint unsubscribes the contact from email and suppresses the address (reason complained). Each
recipient of a report is applied once: the report's id is kept on the event, and the same report
again finds it and changes nothing. Unmatched recipients are counted and logged, never errors.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.crm.suppressions import unsubscribe_contact
from kempen.kit.clock import utcnow
from kempen.kit.sql import insert_ignoring_conflicts
from kempen.models import (
    BounceType,
    Channel,
    Contact,
    Delivery,
    Suppression,
    SuppressionReason,
    TouchKind,
    TrackingEvent,
)
from kempen.tracking.dsn import RecipientStatus, Report
from kempen.tracking.reports import parse_report

logger = logging.getLogger("kempen.bounces")
SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_DAYS = 30
ADDRESS_MATCH_DAYS = 30
ACTOR = "bounce-processor"
_KEMPEN_MESSAGE_ID = re.compile(r"^<?(\d{1,18})\.[0-9a-f]{16}@[^>\s]+>?$")


@dataclass(frozen=True, slots=True)
class RecipientOutcome:
    """What one recipient line of a report did."""

    address: str
    type: str                      # "hard", "soft", "complaint", or "ignored" (delivered, relayed...)
    matched: bool
    workspace_id: int | None = None
    contact_id: int | None = None
    delivery_id: int | None = None
    suppressed: bool = False       # the address is suppressed now because of this report
    duplicate: bool = False        # this report was applied before: nothing new was written


@dataclass
class ReportOutcome:
    """What a report was and what it did, recipient by recipient."""

    kind: str                      # "dsn", "arf" or "not_a_report"
    report_id: str = ""
    recipients: list[RecipientOutcome] = field(default_factory=list)

    @property
    def unmatched(self) -> int:
        return sum(1 for r in self.recipients if not r.matched and r.type != "ignored")

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "report_id": self.report_id, "unmatched": self.unmatched,
                "recipients": [{"address": r.address, "type": r.type, "matched": r.matched,
                                "contact_id": r.contact_id, "delivery_id": r.delivery_id,
                                "suppressed": r.suppressed, "duplicate": r.duplicate} for r in self.recipients]}


def _by_message_id(session: Session, message_id: str | None, workspace_id: int | None) -> Delivery | None:
    found = _KEMPEN_MESSAGE_ID.match((message_id or "").strip())
    if found is None:
        return None
    stmt = select(Delivery).where(Delivery.id == int(found.group(1)), Delivery.channel == Channel.EMAIL)
    if workspace_id is not None:
        stmt = stmt.where(Delivery.workspace_id == workspace_id)
    delivery = session.scalar(stmt)
    stored = (delivery.provider_message_id or "").strip("<> ") if delivery is not None else ""
    return delivery if stored and stored == (message_id or "").strip().strip("<>") else None


def _by_address(session: Session, address: str, workspace_id: int | None) -> list[Delivery]:
    """The latest recent email delivery of each contact holding the address (in any workspace unless given)."""
    contacts = select(Contact.id, Contact.workspace_id).where(Contact.email_normalized == address)
    if workspace_id is not None:
        contacts = contacts.where(Contact.workspace_id == workspace_id)
    cutoff = utcnow() - timedelta(days=ADDRESS_MATCH_DAYS)
    found: list[Delivery] = []
    for contact_id, ws in session.execute(contacts.limit(50)).all():
        latest = session.scalar(select(Delivery).where(
            Delivery.workspace_id == ws, Delivery.contact_id == contact_id, Delivery.channel == Channel.EMAIL,
            Delivery.sent_at >= cutoff).order_by(Delivery.sent_at.desc()).limit(1))
        if latest is not None:
            found.append(latest)
    return found


def _matches(session: Session, report: Report, line: RecipientStatus, workspace_id: int | None) -> list[Delivery]:
    delivery = _by_message_id(session, report.original_message_id, workspace_id)
    if delivery is not None and (len(report.recipients) == 1 or (delivery.address or "").lower() == line.address):
        return [delivery]
    return _by_address(session, line.address, workspace_id)


def _already_applied(session: Session, delivery: Delivery, kind: TouchKind, report_id: str) -> bool:
    stmt = select(TrackingEvent.id).where(
        TrackingEvent.workspace_id == delivery.workspace_id, TrackingEvent.contact_id == delivery.contact_id,
        TrackingEvent.kind == kind, TrackingEvent.detail["report_id"].as_string() == report_id)
    return session.scalar(stmt.limit(1)) is not None


def _record(session: Session, delivery: Delivery, kind: TouchKind, detail: dict[str, Any]) -> None:
    session.add(TrackingEvent(
        workspace_id=delivery.workspace_id, kind=kind, occurred_at=utcnow(), campaign_id=delivery.campaign_id,
        message_id=delivery.message_id, variant_id=delivery.variant_id, delivery_id=delivery.id,
        contact_id=delivery.contact_id, channel=Channel.EMAIL, detail=detail))
    session.flush()


def _suppress(session: Session, delivery: Delivery, address: str, reason: SuppressionReason, note: str) -> bool:
    """Suppress the address in the delivery's workspace; True if it is suppressed now (new or not)."""
    contact = session.get(Contact, delivery.contact_id)
    normalised = (contact.email_normalized if contact is not None else None) or address
    inserted = insert_ignoring_conflicts(session, Suppression.__table__, [{
        "workspace_id": delivery.workspace_id, "channel": Channel.EMAIL, "address": normalised,
        "reason": reason, "note": note[:500]}])
    if inserted:
        audit.record(session, workspace_id=delivery.workspace_id, actor=ACTOR, action="suppression.created",
                     entity_type="contact", entity_id=delivery.contact_id,
                     details={"channel": "email", "address": normalised, "reason": reason.value, "note": note})
    return True


def _soft_bounces(session: Session, delivery: Delivery) -> int:
    since = utcnow() - timedelta(days=SOFT_BOUNCE_DAYS)
    return session.scalar(select(func.count()).where(
        TrackingEvent.workspace_id == delivery.workspace_id, TrackingEvent.contact_id == delivery.contact_id,
        TrackingEvent.kind == TouchKind.BOUNCE, TrackingEvent.occurred_at >= since,
        TrackingEvent.detail["type"].as_string() == BounceType.SOFT.value)) or 0


def _apply_bounce(session: Session, report: Report, line: RecipientStatus, delivery: Delivery) -> bool:
    """Record one bounce; return whether the address is suppressed because of it."""
    assert line.bounce_type is not None
    _record(session, delivery, TouchKind.BOUNCE, {
        "type": line.bounce_type.value, "status": line.status, "diagnostic": line.diagnostic,
        "reporting_mta": report.reporting_mta, "report_id": report.report_id})
    if line.bounce_type == BounceType.HARD:
        return _suppress(session, delivery, line.address, SuppressionReason.BOUNCED,
                         f"hard bounce {line.status}: {line.diagnostic}")
    if _soft_bounces(session, delivery) >= SOFT_BOUNCE_LIMIT:
        return _suppress(session, delivery, line.address, SuppressionReason.BOUNCED,
                         f"{SOFT_BOUNCE_LIMIT} soft bounces in {SOFT_BOUNCE_DAYS} days (last {line.status})")
    return False


def _apply_complaint(session: Session, report: Report, line: RecipientStatus, delivery: Delivery) -> bool:
    _record(session, delivery, TouchKind.COMPLAINT, {
        "feedback_type": report.feedback_type, "user_agent": report.user_agent,
        "reporting_mta": report.reporting_mta, "report_id": report.report_id})
    # The complaint reason goes in first, so the unsubscribe's own suppression row does not replace it.
    _suppress(session, delivery, line.address, SuppressionReason.COMPLAINED,
              f"spam complaint ({report.feedback_type})")
    unsubscribe_contact(session, workspace_id=delivery.workspace_id, actor=ACTOR, contact_id=delivery.contact_id,
                        channel=Channel.EMAIL, source="complaint")
    return True


def _apply_line(session: Session, report: Report, line: RecipientStatus,
                workspace_id: int | None) -> list[RecipientOutcome]:
    kind = "complaint" if report.kind == "arf" else (line.bounce_type.value if line.bounce_type else "ignored")
    if kind == "ignored":
        return [RecipientOutcome(address=line.address, type=kind, matched=False)]
    deliveries = _matches(session, report, line, workspace_id)
    if not deliveries:
        logger.info("unmatched %s report %s for %s", report.kind, report.report_id, line.address)
        return [RecipientOutcome(address=line.address, type=kind, matched=False)]
    touch = TouchKind.COMPLAINT if report.kind == "arf" else TouchKind.BOUNCE
    outcomes = []
    for delivery in deliveries:
        duplicate = _already_applied(session, delivery, touch, report.report_id)
        apply = _apply_complaint if report.kind == "arf" else _apply_bounce
        suppressed = False if duplicate else apply(session, report, line, delivery)
        outcomes.append(RecipientOutcome(
            address=line.address, type=kind, matched=True, workspace_id=delivery.workspace_id,
            contact_id=delivery.contact_id, delivery_id=delivery.id, suppressed=suppressed, duplicate=duplicate))
    return outcomes


def process_report(session: Session, raw: bytes, *, workspace_id: int | None = None) -> ReportOutcome:
    """Parse a raw message and apply it if it is a DSN or ARF report (only to `workspace_id` when given)."""
    report = parse_report(raw)
    if report is None:
        logger.info("ignored a message that is not a bounce or complaint report (%d bytes)", len(raw))
        return ReportOutcome(kind="not_a_report")
    outcome = ReportOutcome(kind=report.kind, report_id=report.report_id)
    for line in report.recipients:
        outcome.recipients += _apply_line(session, report, line, workspace_id)
    return outcome
