"""Dramatiq: the broker from KEMPEN_BROKER_URL and the `send_batch` actor.

Messages carry only a batch id; retries live in the database (backoff per delivery, the sweeper for
lost workers), so the actor never retries (max_retries=0). Redis (redis://, rediss://) and RabbitMQ
(amqp://, amqps://) are supported; the queue name can be changed with KEMPEN_BROKER_QUEUE (several
installations sharing one broker, tests).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker

from kempen.delivery.compose import AdapterCache
from kempen.delivery.owner import new_owner
from kempen.delivery.worker import process_batch
from kempen.kit.errors import InvalidInput

DEFAULT_QUEUE = "kempen-delivery"
ACTOR_NAME = "send_batch"
# A batch is a few hundred messages; an hour leaves room for a slow, rate-limited server. Past it,
# Dramatiq interrupts the thread and the worker settles the batch from its journal.
TIME_LIMIT_MS = 60 * 60 * 1000


def make_broker(url: str) -> dramatiq.Broker:
    """A Dramatiq broker for a redis:// or amqp:// URL."""
    if url.startswith(("redis://", "rediss://")):
        return RedisBroker(url=url)
    if url.startswith(("amqp://", "amqps://")):
        return RabbitmqBroker(url=url)
    raise InvalidInput(f"KEMPEN_BROKER_URL must start with redis://, rediss://, amqp:// or amqps://, not {url!r}.")


def queue_name() -> str:
    return os.environ.get("KEMPEN_BROKER_QUEUE") or DEFAULT_QUEUE


_local = threading.local()


def _worker_state() -> tuple[str, AdapterCache]:
    # One lease owner and one set of open connections per Dramatiq worker thread, kept across messages.
    if not hasattr(_local, "owner"):
        _local.owner = new_owner()
        _local.cache = AdapterCache()
    return _local.owner, _local.cache


def send_batch(batch_id: int) -> None:
    """Send one batch (a queue message points at it; the conditional claim makes duplicates harmless)."""
    owner, cache = _worker_state()
    process_batch(batch_id, owner=owner, adapter_cache=cache)


def declare_actor(broker: dramatiq.Broker, *, queue: str | None = None) -> dramatiq.Actor[Any, Any]:
    """Register the `send_batch` actor on a broker (on the given queue)."""
    return dramatiq.Actor(send_batch, broker=broker, actor_name=ACTOR_NAME, queue_name=queue or queue_name(),
                          priority=0, options={"max_retries": 0, "time_limit": TIME_LIMIT_MS})
