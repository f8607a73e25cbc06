"""Tell bounce reports (DSN) from complaints (ARF) and parse either; anything else is not a report."""

from __future__ import annotations

from email import message_from_bytes, policy

from kempen.tracking.arf import parse_arf
from kempen.tracking.dsn import MAX_REPORT_BYTES, Report, parse_dsn


def parse_report(raw: bytes) -> Report | None:
    """Parse a DSN or an ARF report; None for any other message (or one too large to be a report)."""
    if len(raw) > MAX_REPORT_BYTES:
        return None
    message = message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_type() != "multipart/report":
        return None
    report_type = str(message.get_param("report-type", "", header="content-type") or "").lower()
    if report_type == "delivery-status":
        return parse_dsn(message, raw)
    if report_type == "feedback-report":
        return parse_arf(message, raw)
    return None
