"""The in-process worker with its engine loop: dispatch, scheduled starts, completion, clean stop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.control import launch_campaign, schedule_campaign
from kempen.delivery.inprocess import start_inprocess_worker
from kempen.kit.clock import utcnow
from kempen.models import Campaign, CampaignStatus, DeliveryStatus
from tests.delivery.conftest import ACTOR, Sink, add_contacts, make_campaign, new_workspace, statuses

pytestmark = pytest.mark.usefixtures("parked")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch, smtp_sink: Sink) -> Iterator[None]:
    monkeypatch.setenv("KEMPEN_BATCH_SIZE", "40")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def wait_for_status(session: Session, campaign_id: int, status: CampaignStatus, timeout: float = 30) -> Campaign:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        if campaign.status == status:
            return campaign
        time.sleep(0.1)
    raise AssertionError(f"campaign {campaign_id} is {campaign.status}, not {status}, after {timeout} s")


def test_sends_a_launched_and_a_scheduled_campaign_then_stops(session: Session, smtp_sink: Sink,
                                                                small_batches: None) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 200)
    now_built = make_campaign(session, ws, splits=(50, 50))
    later_built = make_campaign(session, ws, rule='first_name = "Ann7"')
    at = utcnow() + timedelta(seconds=1.5)
    schedule_campaign(session, workspace_id=ws, campaign_id=later_built.campaign_id, actor=ACTOR, at=at)
    launch_campaign(session, workspace_id=ws, campaign_id=now_built.campaign_id, actor=ACTOR)
    session.commit()
    stop = start_inprocess_worker(threads=2, factory=get_session_factory(), tick_seconds=0.1)
    try:
        wait_for_status(session, now_built.campaign_id, CampaignStatus.COMPLETED)
        later = wait_for_status(session, later_built.campaign_id, CampaignStatus.COMPLETED)
    finally:
        started = time.monotonic()
        stop()
        stopped_in = time.monotonic() - started
    assert statuses(session, now_built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 200})
    assert statuses(session, later_built.campaign_id) == Counter({(DeliveryStatus.SENT, None): 1})
    assert later.launched_at is not None and at <= later.launched_at <= at + timedelta(seconds=2)
    counts = smtp_sink.handler.per_recipient
    assert len(counts) == 200 and sum(counts.values()) == 201  # Ann7 got both campaigns, nobody else twice
    assert stopped_in < 5
    assert not any(t.name.startswith(("kempen-sender", "kempen-engine")) and t.is_alive()
                   for t in threading.enumerate())


def test_serving_starts_the_sender_without_a_broker_and_the_sink_without_smtp(
        db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from kempen.background import start_background_workers
    from kempen.cli.server import _start_sink
    from tests.delivery.conftest import free_port

    monkeypatch.delenv("KEMPEN_BROKER_URL", raising=False)
    monkeypatch.delenv("KEMPEN_SMTP_URL", raising=False)
    monkeypatch.setenv("KEMPEN_MAIL_SINK_PORT", str(free_port()))
    get_settings.cache_clear()
    stop = start_background_workers()
    try:
        names = {t.name for t in threading.enumerate() if t.is_alive()}
        assert {"kempen-engine", "kempen-sender-0"} <= names
    finally:
        stop()
    assert not any(t.name.startswith(("kempen-sender", "kempen-engine")) and t.is_alive()
                   for t in threading.enumerate())
    sink = _start_sink("http://127.0.0.1:8000")
    assert sink is not None and sink.port == get_settings().mail_sink_port
    sink.stop()
    monkeypatch.setenv("KEMPEN_SMTP_URL", "smtp://127.0.0.1:25")
    monkeypatch.setenv("KEMPEN_BROKER_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    assert _start_sink("http://127.0.0.1:8000") is None
    stop = start_background_workers()
    try:
        assert not any(t.name == "kempen-engine" for t in threading.enumerate())
    finally:
        stop()
    get_settings.cache_clear()
