"""Read delivery status notifications (DSN, RFC 3464) and the report shape ARF shares with them.

Pure parsing with the stdlib `email` package: no database. Reports are written by strangers (anyone
can mail the bounce mailbox), so the parser never trusts a field to be present or well formed, and
`reports.parse_report` reads at most `MAX_REPORT_BYTES` and tells DSNs from ARF reports (arf.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser

from kempen.models import BounceType

MAX_REPORT_BYTES = 2 * 1024 * 1024
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_ADDRESS = re.compile(r"[^\s<>;,\"]+@[^\s<>;,\"]+")


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """One recipient line of a DSN, classified: hard, soft, or None (delivered, relayed, expanded)."""

    address: str
    action: str
    status: str
    diagnostic: str
    bounce_type: BounceType | None


@dataclass(frozen=True)
class Report:
    """A parsed report: `kind` "dsn" (recipients) or "arf" (feedback type and the complaining address)."""

    kind: str
    report_id: str  # the report's own Message-ID, else a hash of its bytes: the same report twice is one
    reporting_mta: str = ""
    original_message_id: str | None = None
    recipients: list[RecipientStatus] = field(default_factory=list)
    feedback_type: str = ""
    user_agent: str = ""


def text(value: object, limit: int = 500) -> str:
    return " ".join(str(value or "").split())[:limit]


def address_of(value: str) -> str:
    """The bare, lower-cased address of a field such as `rfc822; <Ann@Example.com>` ('' if none)."""
    found = _ADDRESS.search(value.rpartition(";")[2] if ";" in value else value)
    return found.group(0).strip(".").lower() if found else ""


def classify(action: str, status: str) -> BounceType | None:
    """Hard for a permanent failure (5.x.x), soft for a temporary one (4.x.x or delayed), else None."""
    action = action.lower()
    if action not in ("failed", "delayed"):
        return None
    if status.startswith("5"):
        return BounceType.HARD
    if status.startswith("4") or action == "delayed":
        return BounceType.SOFT
    return BounceType.HARD  # failed without a usable status: the MTA gave up for good


def report_id(message: Message, raw: bytes) -> str:
    own = text(message.get("Message-ID"), 255)
    return own or "sha256:" + hashlib.sha256(raw).hexdigest()


def field_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    data = part.get_payload(decode=True) or b""
    blocks = re.split(rb"\r?\n\s*\r?\n", data.strip()) if isinstance(data, bytes) else []
    return [BytesHeaderParser().parsebytes(block + b"\n") for block in blocks if block.strip()]


def original_message_id(report: Message) -> str | None:
    """The Message-ID of the returned message (message/rfc822 or text/rfc822-headers part)."""
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner else None
        elif kind == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            headers = BytesHeaderParser().parsebytes(data) if isinstance(data, bytes) else None
        else:
            continue
        if isinstance(headers, Message) and headers.get("Message-ID"):
            return text(headers.get("Message-ID"), 255)
    return None


def _recipient(block: Message) -> RecipientStatus | None:
    address = address_of(str(block.get("Final-Recipient") or block.get("Original-Recipient") or ""))
    if not address:
        return None
    action = text(block.get("Action"), 20).lower()
    diagnostic = text(block.get("Diagnostic-Code"))
    found = _STATUS.search(str(block.get("Status") or "")) or _STATUS.search(diagnostic)
    status = ".".join(found.groups()) if found else ""
    return RecipientStatus(address=address, action=action, status=status, diagnostic=diagnostic,
                           bounce_type=classify(action, status))


def parse_dsn(message: Message, raw: bytes) -> Report:
    """Read a multipart/report; report-type=delivery-status message."""
    recipients: list[RecipientStatus] = []
    reporting_mta = ""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = field_blocks(part)
        if blocks:
            reporting_mta = text(blocks[0].get("Reporting-MTA"), 200).partition(";")[2].strip() or \
                text(blocks[0].get("Reporting-MTA"), 200)
        recipients += [r for r in map(_recipient, blocks[1:] or blocks) if r is not None]
    if not recipients:
        # Some providers send an empty status part and name the failed addresses in a header instead.
        for address in _ADDRESS.findall(str(message.get("X-Failed-Recipients") or "")):
            recipients.append(RecipientStatus(address=address.lower(), action="failed", status="5.0.0",
                                              diagnostic="", bounce_type=BounceType.HARD))
    return Report(kind="dsn", report_id=report_id(message, raw), reporting_mta=reporting_mta,
                  original_message_id=original_message_id(message), recipients=recipients)
