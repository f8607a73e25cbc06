"""Signed, compact tokens for the links Kempen puts in messages.

Each kind of link has its own salt, so a token made for one purpose is never accepted for another.
Unsubscribe links use it today; issue 5 adds opens, clicks and the preference centre with salts
of their own. Tokens carry short keys and no expiry: laws ask unsubscribe links to keep working
long after the send (CAN-SPAM: at least 30 days), and old emails stay in inboxes for years.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

import orjson
from itsdangerous import BadSignature, URLSafeSerializer

from kempen.config import get_settings
from kempen.kit.errors import InvalidInput
from kempen.kit.hmac_sha256 import HmacSha256

UNSUBSCRIBE = "kempen.unsubscribe.v1"
# Opens and clicks (issue 5): their tokens also carry the second they were issued, and expire.
OPEN = "kempen.open.v1"
CLICK = "kempen.click.v1"


@lru_cache(maxsize=16)
def _serializer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt, signer_kwargs={"digest_method": hashlib.sha256})


@lru_cache(maxsize=16)
def _derived_mac(secret: str, salt: str) -> HmacSha256:
    # itsdangerous's key derivation, so `read_token` (itsdangerous itself) accepts what `sign_json` makes.
    return HmacSha256(_serializer(secret, salt).make_signer().derive_key())


_macs: dict[str, tuple[object, HmacSha256]] = {}


def _mac(purpose: str) -> HmacSha256:
    # Cached per settings object: without KEMPEN_SECRET_KEY, `signing_key` reads a file on every call.
    settings = get_settings()
    cached = _macs.get(purpose)
    if cached is None or cached[0] is not settings:
        cached = _macs[purpose] = (settings, _derived_mac(settings.signing_key, purpose))
    return cached[1]


def sign_token(purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe token for `purpose` carrying `payload` (compact JSON, HMAC-SHA256).

    Made by hand in itsdangerous's format (payload "." signature, without its zlib attempt), as
    it runs once per email; `read_token` verifies it with itsdangerous itself.
    """
    return sign_json(purpose, json.dumps(payload, separators=(",", ":")))


def sign_json(purpose: str, compact_json: str) -> str:
    """`sign_token` for a payload already written as compact JSON (hot paths format it themselves)."""
    body = _b64_bytes(compact_json.encode())
    return f"{body.decode('ascii')}.{_b64_bytes(_mac(purpose).sign(body)).decode('ascii')}"


class PrefixSigner:
    """`sign_json` for many payloads that start alike (the tokens of one email), sharing that work.

    The shared head is padded with spaces (valid JSON whitespace) to a multiple of 3 bytes, so its
    base64 ends on a boundary and is encoded, and fed to the HMAC, once; each token then costs the
    base64 and HMAC of its own tail only. The tokens are exactly `sign_json`'s format.
    """

    __slots__ = ("_body", "_mac")

    def __init__(self, purpose: str, head: str) -> None:
        raw = head.encode()
        body = _b64_bytes(raw + b" " * (-len(raw) % 3))
        self._body = body.decode("ascii")
        self._mac = _mac(purpose).copy()
        self._mac.update(body)

    def sign(self, tail: str) -> str:
        """The token of `head + tail` (tail completes the JSON)."""
        body = _b64_bytes(tail.encode())
        return f"{self._body}{body.decode('ascii')}.{_b64_bytes(self._mac.sign(body)).decode('ascii')}"


_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def _unb64(data: bytes) -> bytes:
    # binascii directly, as for encoding; strict, so stray characters are an error rather than skipped.
    return binascii.a2b_base64(data.translate(_FROM_URLSAFE) + b"=" * (-len(data) % 4), strict_mode=True)


def _b64_bytes(data: bytes) -> bytes:
    # binascii directly: base64.urlsafe_b64encode adds two Python calls per token (tokens run per email).
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=")


def read_token_fast(purpose: str, token: str) -> dict[str, Any]:
    """`read_token` without itsdangerous's layers, for the tracking endpoints (same format and key)."""
    body, dot, signature = token.rpartition(".")
    try:
        given = _unb64(signature.encode("ascii"))
        raw_body = body.encode("ascii")
    except (ValueError, UnicodeEncodeError):
        raise InvalidInput("This link is not valid: it may be incomplete or altered.") from None
    if not dot or not hmac.compare_digest(_mac(purpose).sign(raw_body), given):
        raise InvalidInput("This link is not valid: it may be incomplete or altered.")
    try:
        payload = orjson.loads(_unb64(raw_body))
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise InvalidInput("This link is not valid: it may be incomplete or altered.")
    return payload


def read_token(purpose: str, token: str) -> dict[str, Any]:
    """The payload of a token made by `sign_token` for the same purpose; InvalidInput otherwise."""
    try:
        payload = _serializer(get_settings().signing_key, purpose).loads(token)
    except BadSignature:
        raise InvalidInput("This link is not valid: it may be incomplete or altered.") from None
    if not isinstance(payload, dict):
        raise InvalidInput("This link is not valid: it may be incomplete or altered.")
    return payload
