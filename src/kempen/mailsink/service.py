"""The sink's inbox per workspace: list, read, parse and clear caught messages."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, defer

from kempen.kit.errors import NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import SinkMessage


@dataclass(frozen=True)
class ParsedEmail:
    """A caught message as a person reads it."""

    headers: list[tuple[str, str]]
    subject: str
    from_: str
    to: str
    date: str
    html: str | None
    text: str | None


def list_messages(session: Session, *, workspace_id: int, cursor: str | None = None,
                  limit: int = 50) -> tuple[list[SinkMessage], str | None]:
    """One page of a workspace's caught messages, newest first (raw bytes not loaded)."""
    stmt = (select(SinkMessage).where(SinkMessage.workspace_id == workspace_id)
            .options(defer(SinkMessage.raw)))
    return keyset_page(session, stmt, SinkMessage.id, cursor=cursor, limit=limit)


def get_message(session: Session, *, workspace_id: int, message_id: int) -> SinkMessage:
    """One caught message of the workspace; NotFound otherwise."""
    message = session.scalar(select(SinkMessage).where(SinkMessage.workspace_id == workspace_id,
                                                       SinkMessage.id == message_id))
    if message is None:
        raise NotFound(f"No caught message {message_id} in this workspace.")
    return message


def clear_messages(session: Session, *, workspace_id: int) -> int:
    """Delete every caught message of the workspace; return how many."""
    result = session.execute(delete(SinkMessage).where(SinkMessage.workspace_id == workspace_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _header_value(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, IndexError, TypeError):  # a malformed header: show it as it came
        return str(message.get_all(name, [""])[0])


def _decoded(name: str, value: str) -> str:
    try:
        return str(policy.default.header_fetch_parse(name, value))
    except (ValueError, IndexError, TypeError):
        return " ".join(str(value).split())


def _part(message: EmailMessage, kind: str) -> str | None:
    part = message.get_body((kind,))
    if part is None:
        return None
    try:
        return str(part.get_content())
    except (LookupError, ValueError, UnicodeError):  # unknown charset or broken encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


def parse_message(raw: bytes) -> ParsedEmail:
    """Headers, subject, sender, recipients, date and the text and HTML bodies of a raw message."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    headers = [(name, _decoded(name, value)) for name, value in message.raw_items()]
    return ParsedEmail(headers=headers, subject=_header_value(message, "Subject"),
                       from_=_header_value(message, "From"), to=_header_value(message, "To"),
                       date=_header_value(message, "Date"), html=_part(message, "html"),
                       text=_part(message, "plain"))
