"""The module Dramatiq's worker processes import (`dramatiq kempen.delivery.tasks`): broker and actor."""

from __future__ import annotations

import dramatiq

from kempen.config import get_settings
from kempen.delivery.broker import declare_actor, make_broker

_url = get_settings().broker_url
if not _url:
    raise RuntimeError("KEMPEN_BROKER_URL is not set; `kempen worker` without a broker runs the in-process worker")
broker = make_broker(_url)
dramatiq.set_broker(broker)
send_batch = declare_actor(broker)
