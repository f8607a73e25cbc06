"""Read spam complaints: ARF feedback reports (RFC 5965), e.g. from Yahoo, AOL or Microsoft's JMRP.

The report names the complaining recipient in Original-Rcpt-To (Removal-Recipient in older ones);
providers that redact it still return the message, whose To header is then the best clue left.
"""

from __future__ import annotations

from email.message import Message

from kempen.tracking.dsn import (
    RecipientStatus,
    Report,
    address_of,
    field_blocks,
    original_message_id,
    report_id,
    text,
)


def parse_arf(message: Message, raw: bytes) -> Report:
    """Read a multipart/report; report-type=feedback-report message (one complaint)."""
    fields = Message()
    for part in message.walk():
        if part.get_content_type() == "message/feedback-report":
            blocks = field_blocks(part)
            fields = blocks[0] if blocks else fields
            break
    rcpt = address_of(str(fields.get("Original-Rcpt-To") or fields.get("Removal-Recipient") or ""))
    if not rcpt:
        # Providers that redact the field still return the message, whose To names the recipient.
        for part in message.walk():
            inner = part.get_payload() if part.get_content_type() == "message/rfc822" else None
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                rcpt = address_of(str(inner[0].get("To") or ""))
                break
    recipients = [RecipientStatus(address=rcpt, action="complained", status="", diagnostic="",
                                  bounce_type=None)] if rcpt else []
    return Report(kind="arf", report_id=report_id(message, raw),
                  reporting_mta=text(fields.get("Reporting-MTA"), 200).partition(";")[2].strip(),
                  original_message_id=original_message_id(message), recipients=recipients,
                  feedback_type=text(fields.get("Feedback-Type"), 40).lower() or "abuse",
                  user_agent=text(fields.get("User-Agent"), 200))
