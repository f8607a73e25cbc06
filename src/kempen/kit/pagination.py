"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from kempen.kit.errors import InvalidInput


def encode_cursor(values: dict[str, Any]) -> str:
    """Encode the sort key of the last row returned as an opaque cursor."""
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode a cursor made by `encode_cursor`, rejecting anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not valid; pass the next_cursor of a previous page.") from exc
    if not isinstance(value, dict):
        raise InvalidInput("The cursor is not valid; pass the next_cursor of a previous page.")
    return value
