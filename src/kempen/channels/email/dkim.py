"""Optional DKIM signing (RFC 6376) of outgoing messages with dkimpy.

On when KEMPEN_DKIM_DOMAIN, KEMPEN_DKIM_SELECTOR and KEMPEN_DKIM_PRIVATE_KEY_PATH are all set.
dkimpy does RSA in pure Python, which costs milliseconds per message (docs/email.md has the
numbers): at volume, let the relay (OpenDKIM, the ESP) sign instead.
"""

from __future__ import annotations

from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from kempen.config import Settings

# Relaxed canonicalisation survives the re-folding of headers and whitespace that relays do.
CANONICALIZE = (b"relaxed", b"relaxed")
SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
                  b"list-unsubscribe-post", b"mime-version", b"content-type")


class DkimSigner:
    """Signs messages for one domain and selector with one private key (PEM, RSA)."""

    def __init__(self, *, domain: str, selector: str, private_key: bytes) -> None:
        try:
            parse_pem_private_key(private_key)
        except (UnparsableKeyError, ValueError, IndexError) as exc:
            raise ValueError(f"the DKIM private key cannot be read: {exc}") from None
        self.domain = domain.strip().lower().encode("ascii")
        self.selector = selector.strip().encode("ascii")
        self._key = private_key

    def signature(self, message: bytes) -> bytes:
        """The DKIM-Signature header (CRLF-terminated) for a complete message; ValueError if it cannot be."""
        try:
            return dkim.sign(message, self.selector, self.domain, self._key, canonicalize=CANONICALIZE,
                             include_headers=list(SIGNED_HEADERS))
        except dkim.DKIMException as exc:
            raise ValueError(f"DKIM signing failed: {exc}") from None

    def sign(self, message: bytes) -> bytes:
        """The message with its DKIM-Signature header prepended."""
        return self.signature(message) + message

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimSigner | None:
        """The signer the settings describe, or None when DKIM is not configured."""
        if not (settings.dkim_domain and settings.dkim_selector and settings.dkim_private_key_path):
            return None
        try:
            key = Path(settings.dkim_private_key_path).read_bytes()
        except OSError as exc:
            raise ValueError(f"KEMPEN_DKIM_PRIVATE_KEY_PATH cannot be read: {exc}") from None
        return cls(domain=settings.dkim_domain, selector=settings.dkim_selector, private_key=key)
