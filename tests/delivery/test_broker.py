"""Dramatiq end to end on the real Redis and RabbitMQ: dispatch enqueues batches, a Dramatiq worker sends them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import dramatiq
import pytest
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.broker import declare_actor, make_broker
from kempen.delivery.control import launch_campaign
from kempen.delivery.dispatch import complete_finished, queue_due_batches
from kempen.kit.errors import InvalidInput
from kempen.models import Campaign, CampaignStatus, DeliveryStatus
from tests.delivery.conftest import ACTOR, Sink, add_contacts, make_campaign, new_workspace, statuses

REDIS = "redis://127.0.0.1:6379"
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672"


def _free_redis_db() -> int:
    """A Redis database number holding no keys (tests must not touch anyone's data)."""
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS}/{number}")
        try:
            if client.dbsize() == 0:
                return number
        finally:
            client.close()
    pytest.fail("no empty Redis database to test with")


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_url(request: pytest.FixtureRequest) -> str:
    return f"{REDIS}/{_free_redis_db()}" if request.param == "redis" else RABBITMQ


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KEMPEN_BATCH_SIZE", "10")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _purge(broker: dramatiq.Broker, queue: str) -> None:
    client = getattr(broker, "client", None)
    if client is not None:  # Redis: the namespace's keys of this queue
        for key in client.scan_iter(f"dramatiq:{queue}*"):
            client.delete(key)
        client.delete("dramatiq:__heartbeats__", "dramatiq:__acks__")
        return
    for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):  # RabbitMQ: the queue and its delay and dead-letter queues
        broker.channel.queue_delete(name)


@pytest.mark.usefixtures("parked")
def test_a_campaign_goes_out_through_the_broker(session: Session, smtp_sink: Sink, small_batches: None,
                                                 broker_url: str) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 40)
    built = make_campaign(session, ws, splits=(50, 50))
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    queue = f"kempen-test-{uuid.uuid4().hex[:10]}"
    broker = make_broker(broker_url)
    actor = declare_actor(broker, queue=queue)
    worker = dramatiq.Worker(broker, queues={queue}, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        def enqueue(batch_ids: Sequence[int]) -> None:
            for batch_id in batch_ids:
                actor.send(batch_id)

        factory = get_session_factory()
        assert len(queue_due_batches(factory, enqueue=enqueue, limit=100)) == 4
        deadline = time.monotonic() + 30
        while True:
            complete_finished(factory)
            session.expire_all()
            campaign = session.get(Campaign, built.campaign_id)
            assert campaign is not None
            if campaign.status == CampaignStatus.COMPLETED:
                break
            assert time.monotonic() < deadline, statuses(session, built.campaign_id)
            time.sleep(0.1)
    finally:
        worker.stop()
        _purge(broker, queue)
        broker.close()
    assert statuses(session, built.campaign_id) == {(DeliveryStatus.SENT, None): 40}
    assert sorted(smtp_sink.handler.per_recipient.values()) == [1] * 40


def test_unknown_broker_urls_are_refused() -> None:
    with pytest.raises(InvalidInput, match="redis://"):
        make_broker("kafka://127.0.0.1:9092")


@pytest.mark.usefixtures("parked")
def test_kempen_worker_runs_dramatiq_workers_and_the_engine_loop(session: Session, smtp_sink: Sink, db: Engine,
                                                                 tmp_path: Path) -> None:
    if db.dialect.name != "sqlite":
        pytest.skip("the command's wiring does not depend on the database; the test above covers both")
    ws = new_workspace(session)
    add_contacts(session, ws, 20)
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    queue, url = f"kempen-test-{uuid.uuid4().hex[:10]}", f"{REDIS}/{_free_redis_db()}"
    env = {**os.environ, "KEMPEN_DATABASE_URL": db.url.render_as_string(hide_password=False),
           "KEMPEN_BROKER_URL": url, "KEMPEN_BROKER_QUEUE": queue,
           "KEMPEN_SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}?starttls=off",
           "KEMPEN_JOURNAL_DIR": str(tmp_path / "journal")}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([str(Path(sys.executable).with_name("kempen")), "worker", "--processes", "1",  # noqa: S603
                                   "--threads", "2"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while statuses(session, built.campaign_id) != {(DeliveryStatus.SENT, None): 20}:
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=60)
        broker = make_broker(url)
        _purge(broker, queue)
        broker.close()
    assert code == 0, log.read_text()
    assert "Dramatiq process" in log.read_text()
    assert sorted(smtp_sink.handler.per_recipient.values()) == [1] * 20
