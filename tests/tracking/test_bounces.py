"""Bounce and complaint reports on real samples: parsing, matching, suppression, idempotency, entry points."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.channels.email.message import make_message_id
from kempen.delivery.control import launch_campaign
from kempen.kit.clock import utcnow
from kempen.models import (
    BounceType,
    Campaign,
    CampaignStatus,
    Channel,
    Consent,
    ConsentStatus,
    Contact,
    Delivery,
    DeliveryStatus,
    Role,
    Suppression,
    SuppressionReason,
    TouchKind,
    TrackingEvent,
)
from kempen.tracking import bounces
from kempen.tracking.reports import parse_report
from tests.conftest import Tenant
from tests.delivery.conftest import ACTOR, add_contacts, configure_sending, make_campaign, new_workspace

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sent_delivery(session: Session, workspace_id: int) -> Delivery:
    """One contact, one launched campaign, its delivery marked sent with Kempen's Message-ID."""
    configure_sending(session, workspace_id)
    add_contacts(session, workspace_id, 1)
    built = make_campaign(session, workspace_id)
    launch_campaign(session, workspace_id=workspace_id, campaign_id=built.campaign_id, actor=ACTOR)
    delivery = session.scalars(select(Delivery).where(Delivery.campaign_id == built.campaign_id)).one()
    address = session.scalar(select(Contact.email_normalized).where(Contact.id == delivery.contact_id))
    session.execute(update(Delivery).where(Delivery.id == delivery.id).values(
        status=DeliveryStatus.SENT, sent_at=utcnow(), address=address,
        provider_message_id=make_message_id(delivery.id, "shop.example.com")))
    # Finished, so no engine loop of another test ever picks the campaign up.
    session.execute(update(Campaign).where(Campaign.id == built.campaign_id).values(status=CampaignStatus.COMPLETED))
    session.commit()
    session.refresh(delivery)
    return delivery


def aimed(raw: bytes, delivery: Delivery, *, sample_address: str, sample_id: str | None) -> bytes:
    """A real sample, its recipient and returned Message-ID replaced by the delivery's."""
    assert delivery.address and delivery.provider_message_id
    if sample_id is not None:
        raw = raw.replace(sample_id.encode(), delivery.provider_message_id.encode())
    return raw.replace(sample_address.encode(), delivery.address.encode())


def events(session: Session, workspace_id: int, kind: TouchKind) -> list[TrackingEvent]:
    session.expire_all()
    return list(session.scalars(select(TrackingEvent).where(TrackingEvent.workspace_id == workspace_id,
                                                            TrackingEvent.kind == kind)))


def suppression(session: Session, workspace_id: int, address: str) -> Suppression | None:
    return session.scalar(select(Suppression).where(Suppression.workspace_id == workspace_id,
                                                    Suppression.address == address))


POSTFIX_HARD_ID = "<4711.0123456789abcdef@shop.example.com>"
POSTFIX_SOFT_ID = "<4712.0123456789abcdef@shop.example.com>"


def test_samples_parse() -> None:
    hard = parse_report(sample("postfix-hard.eml"))
    assert hard is not None and hard.kind == "dsn" and hard.original_message_id == POSTFIX_HARD_ID
    [line] = hard.recipients
    assert (line.address, line.action, line.status, line.bounce_type) == \
        ("gone@mail.example.net", "failed", "5.1.1", BounceType.HARD)
    assert "User unknown" in line.diagnostic and hard.reporting_mta == "mta.shop.example.com"
    soft = parse_report(sample("postfix-delayed.eml"))
    assert soft is not None and soft.original_message_id == POSTFIX_SOFT_ID
    assert [(r.action, r.status, r.bounce_type) for r in soft.recipients] == [("delayed", "4.2.2", BounceType.SOFT)]
    exchange = parse_report(sample("exchange2007-hard.eml"))
    assert exchange is not None and exchange.original_message_id is None
    assert [(r.address, r.status) for r in exchange.recipients] == [("mikeneko@example.co.jp", "5.1.1")]
    arf = parse_report(sample("arf-rfc5965.eml"))
    assert arf is not None and (arf.kind, arf.feedback_type) == ("arf", "abuse")
    assert [r.address for r in arf.recipients] == ["user@example.com"]
    fbl = parse_report(sample("arf-smp-fbl.eml"))
    assert fbl is not None and fbl.kind == "arf" and fbl.user_agent == "SMP-FBL"
    assert parse_report(sample("not-a-report.eml")) is None
    assert parse_report(b"Subject: hello\r\n\r\nnot a report\r\n") is None


def test_hard_bounce_by_message_id_suppresses_once(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    raw = aimed(sample("postfix-hard.eml"), delivery, sample_address="gone@mail.example.net",
                sample_id=POSTFIX_HARD_ID)
    first = bounces.process_report(session, raw)
    session.commit()
    [line] = first.recipients
    assert (line.type, line.matched, line.delivery_id, line.suppressed, line.duplicate) == \
        ("hard", True, delivery.id, True, False)
    [event] = events(session, tenant.id, TouchKind.BOUNCE)
    assert (event.delivery_id, event.campaign_id, event.variant_id) == \
        (delivery.id, delivery.campaign_id, delivery.variant_id)
    assert event.detail is not None and event.detail["type"] == "hard" and event.detail["status"] == "5.1.1"
    assert event.detail["reporting_mta"] == "mta.shop.example.com" and "User unknown" in event.detail["diagnostic"]
    assert delivery.address is not None
    found = suppression(session, tenant.id, delivery.address)
    assert found is not None and found.reason == SuppressionReason.BOUNCED
    again = bounces.process_report(session, raw)
    session.commit()
    assert again.recipients[0].duplicate and len(events(session, tenant.id, TouchKind.BOUNCE)) == 1


def test_soft_bounces_suppress_on_the_third(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    assert delivery.address is not None
    base = aimed(sample("postfix-delayed.eml"), delivery, sample_address="full@mail.example.net",
                 sample_id=POSTFIX_SOFT_ID)
    results = []
    for n in range(3):
        # Three distinct reports (Postfix gives each its own Message-ID).
        raw = base.replace(b"D4F9220C008", f"SOFT{n}".encode())
        outcome = bounces.process_report(session, raw)
        session.commit()
        results.append((outcome.recipients[0].type, outcome.recipients[0].suppressed,
                        suppression(session, tenant.id, delivery.address) is not None))
    assert results == [("soft", False, False), ("soft", False, False), ("soft", True, True)]
    assert [e.detail and e.detail["type"] for e in events(session, tenant.id, TouchKind.BOUNCE)] == ["soft"] * 3


def test_old_soft_bounces_do_not_count(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    base = aimed(sample("postfix-delayed.eml"), delivery, sample_address="full@mail.example.net",
                 sample_id=POSTFIX_SOFT_ID)
    for n in range(2):
        bounces.process_report(session, base.replace(b"D4F9220C008", f"OLD{n}".encode()))
    session.execute(update(TrackingEvent).where(TrackingEvent.workspace_id == tenant.id)
                    .values(occurred_at=utcnow() - timedelta(days=bounces.SOFT_BOUNCE_DAYS + 1)))
    outcome = bounces.process_report(session, base.replace(b"D4F9220C008", b"NEW"))
    session.commit()
    assert outcome.recipients[0].suppressed is False


def test_exchange_dsn_matches_by_address(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    raw = aimed(sample("exchange2007-hard.eml"), delivery, sample_address="mikeneko@example.co.jp", sample_id=None)
    outcome = bounces.process_report(session, raw)
    session.commit()
    assert [(r.type, r.matched, r.delivery_id) for r in outcome.recipients] == [("hard", True, delivery.id)]


def test_address_fallback_needs_a_recent_send(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    session.execute(update(Delivery).where(Delivery.id == delivery.id).values(
        sent_at=utcnow() - timedelta(days=bounces.ADDRESS_MATCH_DAYS + 1)))
    session.commit()
    raw = aimed(sample("exchange2007-hard.eml"), delivery, sample_address="mikeneko@example.co.jp", sample_id=None)
    outcome = bounces.process_report(session, raw)
    session.commit()
    assert outcome.unmatched == 1 and events(session, tenant.id, TouchKind.BOUNCE) == []
    assert delivery.address and suppression(session, tenant.id, delivery.address) is None


def test_forged_message_id_does_not_match(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    forged = f"<{delivery.id}.ffffffffffffffff@shop.example.com>"
    raw = sample("postfix-hard.eml").replace(POSTFIX_HARD_ID.encode(), forged.encode())
    outcome = bounces.process_report(session, raw)  # the address is a stranger's: no fallback either
    session.commit()
    assert outcome.unmatched == 1 and events(session, tenant.id, TouchKind.BOUNCE) == []


def test_complaint_unsubscribes_and_suppresses(session: Session, tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    raw = aimed(sample("arf-rfc5965.eml"), delivery, sample_address="user@example.com",
                sample_id="8787KJKJ3K4J3K4J3K4J3.mail@example.net")
    outcome = bounces.process_report(session, raw)
    session.commit()
    assert [(r.type, r.matched, r.suppressed) for r in outcome.recipients] == [("complaint", True, True)]
    [event] = events(session, tenant.id, TouchKind.COMPLAINT)
    assert event.detail is not None and event.detail["feedback_type"] == "abuse"
    consent = session.get(Consent, (delivery.contact_id, Channel.EMAIL))
    assert consent is not None and consent.status == ConsentStatus.UNSUBSCRIBED
    assert delivery.address is not None
    found = suppression(session, tenant.id, delivery.address)
    assert found is not None and found.reason == SuppressionReason.COMPLAINED
    assert bounces.process_report(session, raw).recipients[0].duplicate


def test_unmatched_and_non_reports_are_counted_not_errors(session: Session) -> None:
    assert bounces.process_report(session, sample("arf-smp-fbl.eml")).unmatched == 1
    assert bounces.process_report(session, sample("not-a-report.eml")).kind == "not_a_report"


def test_webhook_is_scoped_and_needs_a_marketer(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    delivery = sent_delivery(session, tenant.id)
    raw = aimed(sample("postfix-hard.eml"), delivery, sample_address="gone@mail.example.net",
                sample_id=POSTFIX_HARD_ID)
    headers = {"Content-Type": "message/rfc822"}
    viewer = tenant.client.post("/api/v1/bounces", content=raw, headers=headers | tenant.headers(Role.VIEWER))
    assert viewer.status_code == 403
    foreign = other_tenant.client.post("/api/v1/bounces", content=raw,
                                       headers=headers | other_tenant.headers(Role.MARKETER))
    assert foreign.status_code == 200 and foreign.json()["unmatched"] == 1
    answer = tenant.client.post("/api/v1/bounces", content=raw, headers=headers | tenant.headers(Role.MARKETER))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kind"] == "dsn" and body["recipients"][0]["matched"] and body["recipients"][0]["suppressed"]
    empty = tenant.client.post("/api/v1/bounces", content=b"", headers=headers | tenant.headers(Role.MARKETER))
    assert empty.status_code == 422 and empty.headers["content-type"].startswith("application/problem+json")


def test_bounce_mailbox_and_cli(session: Session, tenant: Tenant, tmp_path: Path) -> None:
    import smtplib

    from typer.testing import CliRunner

    from kempen.cli.main import app
    from kempen.tracking.inbound import start_bounce_mailbox

    first, second = sent_delivery(session, tenant.id), sent_delivery(session, new_workspace(session))
    mailbox = start_bounce_mailbox(host="127.0.0.1", port=0)
    try:
        raw = aimed(sample("postfix-hard.eml"), first, sample_address="gone@mail.example.net",
                    sample_id=POSTFIX_HARD_ID)
        with smtplib.SMTP("127.0.0.1", mailbox.port) as smtp:
            smtp.sendmail("", ["bounces@shop.example.com"], raw)
            smtp.sendmail("", ["bounces@shop.example.com"], sample("not-a-report.eml"))
    finally:
        mailbox.stop()
    assert mailbox.handler.received == 2
    assert [e.delivery_id for e in events(session, tenant.id, TouchKind.BOUNCE)] == [first.id]
    path = tmp_path / "export.eml"
    path.write_bytes(aimed(sample("postfix-delayed.eml"), second, sample_address="full@mail.example.net",
                           sample_id=POSTFIX_SOFT_ID))
    result = CliRunner().invoke(app, ["bounces", "process", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"type": "soft"' in result.output and '"matched": true' in result.output
    assert [e.delivery_id for e in events(session, second.workspace_id, TouchKind.BOUNCE)] == [second.id]
    missing = CliRunner().invoke(app, ["bounces", "process", str(tmp_path / "nope.eml")])
    assert missing.exit_code == 1
