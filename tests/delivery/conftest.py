"""Delivery test helpers: a workspace with contacts, a campaign ready to launch, a real SMTP server."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.campaigns.settings import get_send_settings
from kempen.config import get_settings
from kempen.models import (
    BatchStatus,
    Campaign,
    CampaignMessage,
    CampaignStatus,
    Channel,
    Consent,
    ConsentStatus,
    Contact,
    Delivery,
    DeliveryBatch,
    DeliveryStatus,
    MessageVariant,
)
from kempen.segments import schemas as segment_schemas
from kempen.segments import service as segments
from tests.conftest import unique

ACTOR = "test"
FROM_EMAIL = "news@shop.example.com"
HTML = "<html><body><p>Hello {{ first_name }}!</p><p><a href=\"{{ unsubscribe_url }}\">unsubscribe</a></p></body></html>"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_workspace(session: Session, *, quiet: tuple[int, int] = (0, 0), cap: tuple[int, int] = (0, 7),
                  time_zone: str = "UTC") -> int:
    """A workspace with a sender, no quiet hours and no frequency cap unless asked (tests run at any hour)."""
    slug = unique("ws-")
    workspace_id = accounts.create_workspace(session, name=slug, slug=slug).id
    configure_sending(session, workspace_id, quiet=quiet, cap=cap, time_zone=time_zone)
    return workspace_id


def configure_sending(session: Session, workspace_id: int, *, quiet: tuple[int, int] = (0, 0),
                      cap: tuple[int, int] = (0, 7), time_zone: str = "UTC") -> None:
    """Give a workspace a sender and the given quiet hours and frequency cap."""
    settings = get_send_settings(session, workspace_id=workspace_id)
    settings.from_name, settings.from_email = "Shop", FROM_EMAIL
    settings.quiet_hours_start, settings.quiet_hours_end = quiet
    settings.frequency_cap_count, settings.frequency_cap_days = cap
    settings.default_time_zone = time_zone
    session.commit()


def add_contacts(session: Session, workspace_id: int, count: int, *, consent: ConsentStatus | None =
                 ConsentStatus.GRANTED, source: str = "test", time_zone: str | None = None,
                 email: bool = True) -> list[int]:
    """Insert `count` contacts (email consent granted by default); return their ids in order."""
    tag = unique("c")
    rows = [{"workspace_id": workspace_id, "first_name": f"Ann{i}", "lead_source": source, "time_zone": time_zone,
             "email": f"{tag}.{i}@Example.com" if email else None,
             "email_normalized": f"{tag}.{i}@example.com" if email else None}
            for i in range(count)]
    session.execute(insert(Contact), rows)
    ids = list(session.scalars(select(Contact.id).where(Contact.workspace_id == workspace_id,
                                                        Contact.first_name.is_not(None),
                                                        Contact.email_normalized.like(f"{tag}.%") if email
                                                        else Contact.email.is_(None),
                                                        Contact.lead_source == source).order_by(Contact.id)))
    if consent is not None:
        session.execute(insert(Consent), [{"workspace_id": workspace_id, "contact_id": cid, "channel": Channel.EMAIL,
                                           "status": consent, "source": "test"} for cid in ids])
    session.commit()
    return ids


@dataclass
class Built:
    campaign_id: int
    message_id: int
    variant_ids: list[int]
    segment_id: int


def make_campaign(session: Session, workspace_id: int, *, rule: str = "created_at is set",
                  splits: tuple[int, ...] = (100,), holdout: str = "0", subject: str = "Hi {{ first_name }}",
                  html: str = HTML, messages: int = 1, quiet_hours: bool = True, frequency_cap: bool = True) -> Built:
    """A draft campaign with `messages` email messages, each with variants split as given."""
    segment = segments.create_segment(session, workspace_id=workspace_id, actor=ACTOR,
                                      data=segment_schemas.SegmentCreate(name=unique("seg-"), text=rule))
    campaign = Campaign(workspace_id=workspace_id, name=unique("camp-"), segment_id=segment.id,
                        holdout_percent=Decimal(holdout), status=CampaignStatus.DRAFT,
                        respect_quiet_hours=quiet_hours, respect_frequency_cap=frequency_cap)
    session.add(campaign)
    session.flush()
    variant_ids: list[int] = []
    message_id = 0
    for number in range(messages):
        message = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.EMAIL,
                                  name=f"email {number}")
        session.add(message)
        session.flush()
        message_id = message_id or message.id
        for index, split in enumerate(splits):
            variant = MessageVariant(workspace_id=workspace_id, campaign_id=campaign.id, message_id=message.id,
                                     name=chr(65 + index), split_percent=split, subject=subject, html=html)
            session.add(variant)
            session.flush()
            variant_ids.append(variant.id)
    session.commit()
    return Built(campaign.id, message_id, variant_ids, segment.id)


def statuses(session: Session, campaign_id: int) -> Counter[Any]:
    """Deliveries of a campaign per (status, reason)."""
    session.expire_all()
    rows = session.execute(select(Delivery.status, Delivery.reason).where(Delivery.campaign_id == campaign_id))
    return Counter((status, reason) for status, reason in rows)


def set_status(session: Session, campaign_id: int, status: CampaignStatus) -> None:
    session.execute(update(Campaign).where(Campaign.id == campaign_id).values(status=status))
    session.commit()


def sent_count(session: Session, campaign_id: int) -> int:
    return statuses(session, campaign_id)[(DeliveryStatus.SENT, None)]


# A real SMTP server (aiosmtpd) that records every message and can refuse chosen recipients.

@dataclass
class SinkHandler:
    messages: list[Message] = field(default_factory=list)
    # Called (in the server's thread) with the number of messages received so far, after each one.
    on_message: Any = None
    per_recipient: Counter[str] = field(default_factory=Counter)
    # address -> list of SMTP replies to give at RCPT, one per attempt (then accept).
    refuse: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            replies = self.refuse.get(address.lower())
            if replies:
                return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.messages.append(message)
            for rcpt in envelope.rcpt_tos:
                self.per_recipient[rcpt.lower()] += 1
            count = len(self.messages)
        if self.on_message is not None:
            self.on_message(count)
        return "250 Message accepted"


@dataclass
class Sink:
    handler: SinkHandler
    port: int

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages


@pytest.fixture
def smtp_sink(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Sink]:
    """An aiosmtpd server on a free port; Kempen's settings point at it, and journals go to tmp_path."""
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    monkeypatch.setenv("KEMPEN_SMTP_URL", f"smtp://127.0.0.1:{port}?starttls=off")
    monkeypatch.setenv("KEMPEN_JOURNAL_DIR", str(tmp_path / "journal"))
    get_settings.cache_clear()
    try:
        yield Sink(handler, port)
    finally:
        controller.stop()
        get_settings.cache_clear()


@pytest.fixture
def journal_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Any]:
    path = tmp_path / "journal"
    monkeypatch.setenv("KEMPEN_JOURNAL_DIR", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def park_live_campaigns(session: Session) -> None:
    """Cancel every campaign still live in the test database, so no later engine loop sends it."""
    session.rollback()
    live = (CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.SCHEDULED)
    session.execute(update(Campaign).where(Campaign.status.in_(live)).values(status=CampaignStatus.CANCELLED))
    session.execute(update(DeliveryBatch).where(DeliveryBatch.status.in_(
        (BatchStatus.PENDING, BatchStatus.QUEUED, BatchStatus.RUNNING))).values(status=BatchStatus.CANCELLED))
    session.commit()


@pytest.fixture
def parked(session: Session) -> Iterator[None]:
    """No live campaign of an earlier test in the database, before and after this one (engine loops are global)."""
    park_live_campaigns(session)
    yield
    park_live_campaigns(session)
