"""The webhook signature scheme: `Kempen-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`.

The HMAC is computed with the endpoint's secret over `"<t>." + raw body`, so a receiver can check
both who sent a request and that it is recent (replayed old requests fail the tolerance check).
"""

from __future__ import annotations

import hmac
import time

from kempen.kit.secrets import hmac_sha256

SIGNATURE_HEADER = "Kempen-Signature"
EVENT_HEADER = "Kempen-Event"
DELIVERY_HEADER = "Kempen-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """Return the hex HMAC-SHA256 of `"<timestamp>.<body>"`."""
    return hmac_sha256(secret, f"{timestamp}.".encode() + body)


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    """Return the value of the Kempen-Signature header for a body sent at `timestamp`."""
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify_signature(
    secret: str, header: str, body: bytes, tolerance: int = DEFAULT_TOLERANCE_SECONDS, *, now: float | None = None,
) -> bool:
    """Whether `header` is a valid signature of `body` made within `tolerance` seconds of `now`.

    Several `v1=` values are accepted (any one matching suffices), so a sender can sign with an
    old and a new secret while a receiver switches over.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
