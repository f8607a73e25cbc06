"""HMAC-SHA256 for keys used over and over: the RFC 2104 construction on two precomputed hashlib states.

`hmac.new(key, ...)` and `HMAC.copy()` go through OpenSSL's MAC contexts, whose set-up costs about
as much as hashing a short token itself (OpenSSL 3). Tokens are signed per link while composing and
verified per click, so each key's inner and outer states (the key padded and XORed with ipad and opad)
are hashed once here, and a MAC copies two SHA-256 states instead: ~1.2 µs a token instead of ~2.3.
The result is exactly `hmac.digest(key, data, "sha256")` (tests/kit/test_hmac_sha256.py).
"""

from __future__ import annotations

import hashlib
from typing import Any

_BLOCK = 64  # SHA-256's block size in bytes
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))


class HmacSha256:
    """A running HMAC-SHA256: `update` then `digest`, and `copy` to share a prefix (like `hmac.HMAC`)."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, *, _states: tuple[Any, Any] | None = None) -> None:
        if _states is not None:
            self._inner, self._outer = _states
            return
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(key.translate(_INNER_PAD))
        self._outer = hashlib.sha256(key.translate(_OUTER_PAD))

    def copy(self) -> HmacSha256:
        """An independent MAC with what was fed so far (the outer state is never changed, so it is shared)."""
        return HmacSha256(b"", _states=(self._inner.copy(), self._outer))

    def update(self, data: bytes) -> None:
        self._inner.update(data)

    def digest(self) -> bytes:
        return self.sign(b"")

    def hexdigest(self) -> str:
        return self.digest().hex()

    def sign(self, data: bytes) -> bytes:
        """The MAC of what was fed so far followed by `data`, leaving this one unchanged."""
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()
