"""The worker end to end through a real SMTP server (aiosmtpd): what arrives, what the database says."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.crm.suppressions import unsubscribe_contact
from kempen.db import get_session_factory
from kempen.delivery import worker as worker_module
from kempen.delivery.compose import AdapterCache
from kempen.delivery.control import cancel_campaign, launch_campaign, pause_campaign, resume_campaign
from kempen.delivery.owner import new_owner, retire_owner
from kempen.delivery.recording import Tally
from kempen.delivery.worker import process_batch
from kempen.kit.clock import utcnow
from kempen.models import (
    BatchStatus,
    Campaign,
    CampaignStatus,
    Contact,
    Delivery,
    DeliveryBatch,
    DeliveryReason,
    DeliveryStatus,
    Suppression,
    SuppressionReason,
)
from tests.delivery.conftest import (
    ACTOR,
    FROM_EMAIL,
    Built,
    Sink,
    add_contacts,
    configure_sending,
    make_campaign,
    new_workspace,
    statuses,
)

pytestmark = pytest.mark.usefixtures("parked")


@pytest.fixture
def cache() -> Iterator[AdapterCache]:
    adapters = AdapterCache()
    yield adapters
    adapters.close()


def launch(session: Session, ws: int, built: Built) -> None:
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()


def run(session: Session, campaign_id: int, cache: AdapterCache) -> Tally:
    """Process the running campaign's due batches until none is left (what the dispatcher and workers do)."""
    owner, total = new_owner(), Tally()
    try:
        while campaign_status(session, campaign_id) == CampaignStatus.RUNNING:
            due = list(session.scalars(select(DeliveryBatch.id).where(
                DeliveryBatch.campaign_id == campaign_id, DeliveryBatch.status == BatchStatus.PENDING,
                (DeliveryBatch.not_before.is_(None)) | (DeliveryBatch.not_before <= utcnow()))))
            if not due:
                return total
            for batch_id in due:
                outcome = process_batch(batch_id, owner=owner, adapter_cache=cache)
                total.add(outcome.tally)
        return total
    finally:
        retire_owner(owner)


def campaign_status(session: Session, campaign_id: int) -> CampaignStatus:
    session.expire_all()
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    return campaign.status


def test_every_contact_gets_one_personal_message(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    ws = new_workspace(session)
    ids = add_contacts(session, ws, 30)
    built = make_campaign(session, ws, splits=(50, 50), subject="Hi {{ first_name }}")
    launch(session, ws, built)
    tally = run(session, built.campaign_id, cache)
    assert tally.sent == 30
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 30})
    assert campaign_status(session, built.campaign_id) == CampaignStatus.COMPLETED
    emails = dict(session.execute(select(Contact.id, Contact.email).where(Contact.id.in_(ids))).all())
    assert sorted(smtp_sink.handler.per_recipient.values()) == [1] * 30
    assert set(smtp_sink.handler.per_recipient) == {e.lower() for e in emails.values()}
    rows = {r.id: r for r in session.execute(select(Delivery).where(Delivery.campaign_id == built.campaign_id))
            .scalars()}
    for message in smtp_sink.messages:
        delivery = rows[int(message["X-Kempen-Delivery"])]
        assert message["To"].endswith(emails[delivery.contact_id]) or emails[delivery.contact_id] in message["To"]
        first_name = f"Ann{ids.index(delivery.contact_id)}"
        assert message["Subject"] == f"Hi {first_name}"
        assert message["X-Kempen-Workspace"] == str(ws) and message["X-Kempen-Campaign"] == str(built.campaign_id)
        assert message["Message-ID"] == delivery.provider_message_id and message["Message-ID"].endswith(
            "@shop.example.com>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "http" in message["List-Unsubscribe"] and FROM_EMAIL in message["From"]
        html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
        assert f"Hello {first_name}!".encode() in html
        assert delivery.address == emails[delivery.contact_id] and delivery.sent_at is not None
    # Both variants were used, about half each.
    assert sorted(Counter(r.variant_id for r in rows.values()).values()) == [15, 15]


def test_a_4xx_is_retried_later_and_then_sent(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    ws = new_workspace(session)
    [contact] = add_contacts(session, ws, 1)
    address = session.scalar(select(Contact.email).where(Contact.id == contact))
    assert address is not None
    smtp_sink.handler.refuse[address.lower()] = ["451 4.3.0 Try again later"]
    built = make_campaign(session, ws)
    launch(session, ws, built)
    tally = run(session, built.campaign_id, cache)
    assert tally.retried == 1 and tally.sent == 0
    delivery = session.scalars(select(Delivery).where(Delivery.campaign_id == built.campaign_id)).one()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1 and "451" in (delivery.detail or "")
    assert delivery.not_before is not None and 50 <= (delivery.not_before - utcnow()).total_seconds() <= 70
    batch = session.get(DeliveryBatch, delivery.batch_id)
    assert batch is not None and batch.status == BatchStatus.PENDING and batch.not_before == delivery.not_before
    assert campaign_status(session, built.campaign_id) == CampaignStatus.RUNNING
    # A minute later (moved back in time here instead of waiting) the retry goes through.
    past = utcnow() - timedelta(seconds=1)
    session.execute(update(Delivery).where(Delivery.id == delivery.id).values(not_before=past))
    session.execute(update(DeliveryBatch).where(DeliveryBatch.id == delivery.batch_id).values(not_before=past))
    session.commit()
    assert run(session, built.campaign_id, cache).sent == 1
    session.expire_all()
    delivery = session.get(Delivery, delivery.id)
    assert delivery is not None and delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert smtp_sink.handler.per_recipient[address.lower()] == 1
    assert campaign_status(session, built.campaign_id) == CampaignStatus.COMPLETED


def test_retries_run_out(session: Session, smtp_sink: Sink, cache: AdapterCache,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEMPEN_MAX_SEND_ATTEMPTS", "1")
    from kempen.config import get_settings

    get_settings.cache_clear()
    ws = new_workspace(session)
    [contact] = add_contacts(session, ws, 1)
    address = session.scalar(select(Contact.email).where(Contact.id == contact))
    assert address is not None
    smtp_sink.handler.refuse[address.lower()] = ["421 4.7.0 Busy"]
    built = make_campaign(session, ws)
    launch(session, ws, built)
    run(session, built.campaign_id, cache)
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.FAILED, DeliveryReason.RETRIES_EXHAUSTED): 1})
    get_settings.cache_clear()


def test_a_5xx_bounces_and_suppresses_the_address(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    ws = new_workspace(session)
    bad, good = add_contacts(session, ws, 2)
    address = session.scalar(select(Contact.email).where(Contact.id == bad))
    assert address is not None
    smtp_sink.handler.refuse[address.lower()] = ["550 5.1.1 No such user"]
    built = make_campaign(session, ws)
    launch(session, ws, built)
    tally = run(session, built.campaign_id, cache)
    assert tally.sent == 1 and tally.failed == 1
    assert statuses(session, built.campaign_id) == Counter(
        {(DeliveryStatus.SENT, None): 1, (DeliveryStatus.FAILED, DeliveryReason.BOUNCED): 1})
    suppression = session.scalars(select(Suppression).where(Suppression.workspace_id == ws)).one()
    assert suppression.address == address.lower() and suppression.reason == SuppressionReason.BOUNCED
    assert smtp_sink.handler.per_recipient == Counter({
        session.scalar(select(Contact.email_normalized).where(Contact.id == good)): 1})
    # The next campaign skips the bounced address before trying it.
    second = make_campaign(session, ws)
    launch(session, ws, second)
    run(session, second.campaign_id, cache)
    assert statuses(session, second.campaign_id)[(DeliveryStatus.SKIPPED, DeliveryReason.SUPPRESSED)] == 1


def test_an_unsubscribe_during_the_send_is_honoured(session: Session, smtp_sink: Sink, cache: AdapterCache,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "SUBCHUNK", 10)
    ws = new_workspace(session)
    ids = add_contacts(session, ws, 25)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    last = ids[-1]

    def unsubscribe_the_last_contact(count: int) -> None:
        if count == 1:  # while the first sub-chunk is being sent
            with get_session_factory()() as other, other.begin():
                unsubscribe_contact(other, workspace_id=ws, actor="contact", contact_id=last, source="link")

    smtp_sink.handler.on_message = unsubscribe_the_last_contact
    run(session, built.campaign_id, cache)
    assert statuses(session, built.campaign_id) == Counter(
        {(DeliveryStatus.SENT, None): 24, (DeliveryStatus.SKIPPED, DeliveryReason.UNSUBSCRIBED): 1})
    assert len(smtp_sink.messages) == 24


def test_frequency_cap_across_two_campaigns(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    ws = new_workspace(session, cap=(1, 7))
    add_contacts(session, ws, 5)
    first = make_campaign(session, ws)
    launch(session, ws, first)
    run(session, first.campaign_id, cache)
    second = make_campaign(session, ws)
    launch(session, ws, second)
    run(session, second.campaign_id, cache)
    assert statuses(session, second.campaign_id) == Counter({(DeliveryStatus.SKIPPED, DeliveryReason.FREQUENCY_CAP): 5})
    # A campaign that ignores the cap (a password-reset style announcement) goes out.
    third = make_campaign(session, ws, frequency_cap=False)
    launch(session, ws, third)
    run(session, third.campaign_id, cache)
    assert statuses(session, third.campaign_id) == Counter({(DeliveryStatus.SENT, None): 5})
    assert len(smtp_sink.messages) == 10


def test_quiet_hours_defer_the_batch(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    now = utcnow()
    minute = now.hour * 60 + now.minute
    ws = new_workspace(session, quiet=((minute - 60) % 1440, (minute + 60) % 1440))
    add_contacts(session, ws, 3)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    tally = run(session, built.campaign_id, cache)
    assert tally.deferred == 3 and not smtp_sink.messages
    rows = session.scalars(select(Delivery).where(Delivery.campaign_id == built.campaign_id)).all()
    assert {r.status for r in rows} == {DeliveryStatus.PENDING} and {r.attempts for r in rows} == {0}
    end = rows[0].not_before
    assert end is not None and 55 * 60 <= (end - now).total_seconds() <= 61 * 60
    batch = session.get(DeliveryBatch, rows[0].batch_id)
    assert batch is not None and batch.status == BatchStatus.PENDING and batch.not_before == end
    # A campaign that ignores quiet hours sends now.
    loud = make_campaign(session, ws, quiet_hours=False)
    launch(session, ws, loud)
    assert run(session, loud.campaign_id, cache).sent == 3


def _pause_after(session: Session, ws: int, built: Built, action: str, cache: AdapterCache, sink: Sink) -> None:
    def act(count: int) -> None:
        if count == 3:
            with get_session_factory()() as other, other.begin():
                move = pause_campaign if action == "pause" else cancel_campaign
                move(other, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)

    sink.handler.on_message = act
    run(session, built.campaign_id, cache)
    sink.handler.on_message = None


def test_pause_takes_effect_after_the_sub_chunk_in_flight(session: Session, smtp_sink: Sink, cache: AdapterCache,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "SUBCHUNK", 10)
    ws = new_workspace(session)
    add_contacts(session, ws, 50)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    _pause_after(session, ws, built, "pause", cache, smtp_sink)
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 10,
                                                            (DeliveryStatus.PENDING, None): 40})
    assert campaign_status(session, built.campaign_id) == CampaignStatus.PAUSED
    batch = session.scalars(select(DeliveryBatch).where(DeliveryBatch.campaign_id == built.campaign_id)).one()
    assert batch.status == BatchStatus.PENDING and batch.lease_owner is None
    resume_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    run(session, built.campaign_id, cache)
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 50})
    assert sorted(smtp_sink.handler.per_recipient.values()) == [1] * 50
    assert campaign_status(session, built.campaign_id) == CampaignStatus.COMPLETED


def test_cancel_takes_effect_after_the_sub_chunk_in_flight(session: Session, smtp_sink: Sink, cache: AdapterCache,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "SUBCHUNK", 10)
    ws = new_workspace(session)
    add_contacts(session, ws, 50)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    _pause_after(session, ws, built, "cancel", cache, smtp_sink)
    assert statuses(session, built.campaign_id) == Counter({
        (DeliveryStatus.SENT, None): 10, (DeliveryStatus.CANCELLED, DeliveryReason.CAMPAIGN_CANCELLED): 40})
    assert campaign_status(session, built.campaign_id) == CampaignStatus.CANCELLED
    assert {b for b in session.scalars(select(DeliveryBatch.status).where(
        DeliveryBatch.campaign_id == built.campaign_id))} == {BatchStatus.CANCELLED}
    assert len(smtp_sink.messages) == 10


def test_a_render_error_fails_only_that_delivery(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 3)
    # Dividing by a number the contact does not have fails at render time for everyone here.
    built = make_campaign(session, ws, subject="{{ 10 // (metrics.order_count or 0) }}")
    launch(session, ws, built)
    run(session, built.campaign_id, cache)
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.FAILED, DeliveryReason.RENDER_ERROR): 3})
    assert campaign_status(session, built.campaign_id) == CampaignStatus.COMPLETED


def test_a_claimed_batch_is_not_claimed_twice(session: Session, smtp_sink: Sink, cache: AdapterCache) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 2)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    batch_id = session.scalars(select(DeliveryBatch.id).where(DeliveryBatch.campaign_id == built.campaign_id)).one()
    session.execute(update(DeliveryBatch).where(DeliveryBatch.id == batch_id).values(
        status=BatchStatus.RUNNING, lease_owner="someone:1:1.x", lease_expires_at=utcnow() + timedelta(minutes=1)))
    session.commit()
    assert not process_batch(batch_id, owner=new_owner(), adapter_cache=cache).claimed
    assert not smtp_sink.messages


def test_without_an_smtp_server_deliveries_wait_for_a_retry(session: Session, cache: AdapterCache,
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    from tests.delivery.conftest import free_port

    monkeypatch.setenv("KEMPEN_SMTP_URL", f"smtp://127.0.0.1:{free_port()}?starttls=off")  # nobody listens
    monkeypatch.setenv("KEMPEN_JOURNAL_DIR", str(tmp_path))
    from kempen.config import get_settings

    get_settings.cache_clear()
    ws = new_workspace(session)
    add_contacts(session, ws, 2)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    run(session, built.campaign_id, cache)
    rows = session.scalars(select(Delivery).where(Delivery.campaign_id == built.campaign_id)).all()
    assert {(r.status, r.attempts) for r in rows} == {(DeliveryStatus.PENDING, 1)}
    assert all(r.not_before is not None for r in rows)
    get_settings.cache_clear()
    configure_sending(session, ws)


def test_a_lost_lease_stops_the_worker_before_the_next_sub_chunk(session: Session, smtp_sink: Sink,
                                                                cache: AdapterCache,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module, "SUBCHUNK", 10)
    ws = new_workspace(session)
    add_contacts(session, ws, 30)
    built = make_campaign(session, ws)
    launch(session, ws, built)
    batch_id = session.scalars(select(DeliveryBatch.id).where(DeliveryBatch.campaign_id == built.campaign_id)).one()

    def taken_over(count: int) -> None:
        if count == 1:  # the sweeper of another host settled the batch meanwhile and gave it to someone else
            with get_session_factory()() as other, other.begin():
                other.execute(update(DeliveryBatch).where(DeliveryBatch.id == batch_id)
                              .values(lease_owner="elsewhere.example:1:1.x"))

    smtp_sink.handler.on_message = taken_over
    outcome = process_batch(batch_id, owner=new_owner(), adapter_cache=cache)
    assert outcome.claimed and outcome.status is None
    assert statuses(session, built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 10,
                                                            (DeliveryStatus.PENDING, None): 20})
    assert len(smtp_sink.messages) == 10
