"""Byte-level MIME pieces for `message.build_message`: header encoding, addresses and body encodings.

Built for speed (one call per email): plain `str`/`bytes` operations and `binascii`, no
`email.message` objects. Every header value passes through `clean`, so a CR or LF can never start
a new header (header injection), and every body is encoded so no line is longer than SMTP allows.
"""

from __future__ import annotations

import binascii
import re
from functools import lru_cache

MAX_LINE = 998          # RFC 5322 §2.1.1: a line MUST NOT be longer than this (without CRLF)
FOLD_AT = 78            # ... and SHOULD NOT be longer than this
# An encoded-word may be at most 75 characters (RFC 2047 §2); 45 bytes of UTF-8 make 60 of base64.
_EW_CHUNK = 45
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Header field names: printable ASCII except the colon (RFC 5322 §3.6.8).
HEADER_NAME = re.compile(r"[!-9;-~]+\Z")
# What may appear in a display name without quoting: atext and spaces (RFC 5322 §3.2.3).
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+\Z")
_ASCII_DELETE = bytes(range(128))
_NOT_IN_ADDRESS = re.compile(r'[\s<>,;"\\\x00-\x1f\x7f]')


def clean(value: str) -> str:
    """Turn control characters (CR and LF above all) into a space and trim: a header value stays one line."""
    if not value.isprintable():
        value = _CONTROL.sub(" ", value)
    return value.strip()


def _utf8_chunks(data: bytes) -> list[bytes]:
    # Cut UTF-8 into pieces of at most _EW_CHUNK bytes without splitting a character (RFC 2047 §5).
    chunks, start = [], 0
    while start < len(data):
        end = min(start + _EW_CHUNK, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        chunks.append(data[start:end])
        start = end
    return chunks


def encoded_words(value: str) -> str:
    """RFC 2047 base64 encoded-words for `value`, folded one word per line."""
    data = value.encode("utf-8", "replace")
    words = ["=?utf-8?b?" + binascii.b2a_base64(chunk, newline=False).decode("ascii") + "?="
             for chunk in _utf8_chunks(data)]
    return "\r\n ".join(words)


def _fold_ascii(prefix_len: int, value: str) -> str:
    # Break before a space, so unfolding (removing CRLF) gives the value back exactly.
    if prefix_len + len(value) <= FOLD_AT:
        return value
    lines, line, width = [], "", prefix_len
    for i, word in enumerate(value.split(" ")):
        piece = word if i == 0 else " " + word
        if line and width + len(piece) > FOLD_AT:
            lines.append(line)
            line, width = piece, 0
        else:
            line += piece
        width += len(piece)
    lines.append(line)
    return "\r\n".join(lines)


def unstructured(name: str, value: str) -> bytes:
    """A complete `Name: value` header line (CRLF included) for free text such as a subject."""
    value = clean(value)
    if value.isascii() and "=?" not in value:
        folded = _fold_ascii(len(name) + 2, value)
        if all(len(line) <= MAX_LINE for line in folded.split("\r\n")):
            return f"{name}: {folded}\r\n".encode("ascii")
    return f"{name}: {encoded_words(value)}\r\n".encode("ascii")


def phrase(value: str) -> str:
    """A display name as RFC 5322 wants it: an atom, a quoted string or encoded-words (spaces collapsed)."""
    value = " ".join(clean(value).split())
    # Encoded-words fold; a quoted string would not (and a long name would overrun the line limit).
    if not value.isascii() or "=?" in value or len(value) > 200:
        return encoded_words(value)
    if _ATOM_PHRASE.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def addr_spec(address: str) -> str:
    """An ASCII address for headers and the envelope (IDNA for the domain), or ValueError."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an email address: {address!r}")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"the domain of {address!r} cannot be encoded: {exc}") from None
    if not local.isascii():
        raise ValueError(f"{address!r} has a non-ASCII local part (needs SMTPUTF8, which Kempen does not send)")
    candidate = f"{local}@{domain}"
    if _NOT_IN_ADDRESS.search(candidate):
        raise ValueError(f"not an email address: {address!r}")
    return candidate


@lru_cache(maxsize=256)
def mailbox(name: str, address: str) -> str:
    """`Name <address>`, or the bare address when there is no name."""
    spec = addr_spec(address)
    shown = phrase(name) if name and clean(name) else ""
    return f"{shown} <{spec}>" if shown else spec


def _long_line(data: bytes) -> bool:
    return len(data) > MAX_LINE and max(map(len, data.split(b"\n"))) > MAX_LINE


def _base64_lines(data: bytes) -> bytes:
    encoded = binascii.b2a_base64(data, newline=False)
    return b"\r\n".join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


def encode_body(text: str, *, eight_bit: bool) -> tuple[bytes, bytes]:
    """Return (Content-Transfer-Encoding, encoded body with CRLF line ends and a final CRLF).

    The cheapest encoding that is correct wins: 7bit for ASCII with short lines (most English
    email: no work at all), 8bit for other short-lined text when the server takes 8BITMIME,
    else quoted-printable, or base64 when most of the text is not ASCII (QP would triple it).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode("utf-8", "replace")
    plain = "\x00" not in text and not _long_line(data)
    if plain and (eight_bit or data.isascii()):
        return (b"7bit" if data.isascii() else b"8bit"), data.replace(b"\n", b"\r\n")
    if len(data.translate(None, _ASCII_DELETE)) * 6 > len(data):
        return b"base64", _base64_lines(data)
    # b2a_qp keeps "\n" as the line end (hard breaks) and soft-wraps at 76 with "=\n".
    return b"quoted-printable", binascii.b2a_qp(data, False, True, False).replace(b"\n", b"\r\n")
