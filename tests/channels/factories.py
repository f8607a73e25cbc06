"""Factories for the email channel's tests (also used by the mail sink's): payloads, batches, a journal."""

from __future__ import annotations

from typing import Any

from kempen.channels.base import Outgoing, SendResult
from kempen.channels.email.adapter import EmailAdapter
from kempen.channels.email.message import EmailPayload
from kempen.channels.email.smtp import SmtpServer
from tests.channels.conftest import SmtpTestServer


def payload(**changes: object) -> EmailPayload:
    base: dict[str, object] = dict(
        subject="Spring sale", html="<p>Hello Jane</p>\n", text="Hello Jane\n", from_name="Acme Shop",
        from_email="news@acme.example", reply_to="help@acme.example",
        unsubscribe_url="https://kempen.example/u/abc.def", unsubscribe_mailto="unsubscribe@acme.example",
        message_id="<7.abc@acme.example>",
        headers=(("X-Kempen-Workspace", "3"), ("X-Kempen-Campaign", "5"), ("X-Kempen-Delivery", "7")))
    base.update(changes)
    return EmailPayload(**base)  # type: ignore[arg-type]


class Journal:
    def __init__(self) -> None:
        self.committed: list[int] = []

    def committing(self, delivery_id: int) -> None:
        self.committed.append(delivery_id)


def outgoing(count: int, *, start: int = 1, **changes: Any) -> list[Outgoing]:
    def one(i: int) -> Outgoing:
        fields: dict[str, Any] = dict(text=f"Hello contact {i}\n", html=f"<p>Hello contact {i}</p>\n",
                                      message_id=f"<{i}.t@acme.example>", headers=(("X-Kempen-Delivery", str(i)),))
        fields.update(changes)
        return Outgoing(delivery_id=i, contact_id=i, address=f"contact{i}@example.com", payload=payload(**fields))

    return [one(i) for i in range(start, start + count)]


def send(adapter: EmailAdapter, messages: list[Outgoing], journal: Journal | None = None) -> dict[int, SendResult]:
    results: list[SendResult] = []
    adapter.send_batch(messages, journal=journal or Journal(), on_result=results.append)
    assert sorted(r.delivery_id for r in results) == sorted(m.delivery_id for m in messages)
    return {r.delivery_id: r for r in results}


def adapter_for(server: SmtpTestServer, **kwargs: Any) -> EmailAdapter:
    return EmailAdapter(SmtpServer.from_url(server.url), timeout=5, **kwargs)
