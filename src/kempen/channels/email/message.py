"""An email for one contact (`EmailPayload`) and its RFC 5322 bytes (`build_message`).

`build_message` writes the message directly as bytes, because it runs once per email on the hot
path (see docs/email.md): a multipart/alternative with the plain text first and the HTML second,
UTF-8, each part in the cheapest transfer encoding that is valid (`mime.encode_body`), the
List-Unsubscribe headers of RFC 2369 and RFC 8058, and RFC 2047 encoded-words wherever a header
holds non-ASCII text. Header values cannot carry a line break (`mime.clean`), so no value can
inject a header.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import time
from dataclasses import dataclass
from email.utils import formatdate

from kempen.channels.email import mime
from kempen.config import get_settings
from kempen.kit.hmac_sha256 import HmacSha256


@dataclass(frozen=True, slots=True)
class EmailPayload:
    """A rendered email, ready to be built into a message for one recipient."""

    subject: str
    html: str
    text: str
    from_name: str
    from_email: str
    reply_to: str | None
    # https URL of the one-click unsubscribe endpoint (RFC 8058); also shown in the footer.
    unsubscribe_url: str
    # mailto: URI (or plain address) that unsubscribes by email, for clients that prefer it.
    unsubscribe_mailto: str | None
    message_id: str
    # Extra headers (the engine's X-Kempen-Workspace, X-Kempen-Campaign, X-Kempen-Delivery).
    headers: tuple[tuple[str, str], ...] = ()


# Headers build_message writes itself, and those that would send the message elsewhere or fake its
# route: a payload may not add them.
_OWN_HEADERS = frozenset({
    "date", "from", "to", "reply-to", "subject", "message-id", "mime-version", "content-type",
    "content-transfer-encoding", "list-unsubscribe", "list-unsubscribe-post", "dkim-signature",
    "cc", "bcc", "sender", "return-path", "received",
})
_PROCESS_TAG = secrets.token_hex(6)
_boundaries = itertools.count()


_key_cache: tuple[object, HmacSha256] | None = None


def _message_id_key() -> HmacSha256:
    # Derived once per settings object: without KEMPEN_SECRET_KEY, `signing_key` reads a file.
    global _key_cache
    settings = get_settings()
    if _key_cache is None or _key_cache[0] is not settings:
        _key_cache = (settings, HmacSha256(hmac.new(settings.signing_key.encode(), b"kempen.message-id",
                                                    hashlib.sha256).digest()))
    return _key_cache[1]


def make_message_id(delivery_id: int, domain: str) -> str:
    """The Message-ID of a delivery: the same on every attempt, different across installations.

    Determinism lets receivers drop a duplicate if a retry ever repeats a delivery; the keyed tag
    keeps two installations (or a rebuilt database reusing ids) from colliding on a domain.
    """
    domain = domain.strip().lower()
    if not domain or not domain.isascii() or any(c in domain for c in "<>@ \t\r\n\"\\()[],;:"):
        raise ValueError(f"not a Message-ID domain: {domain!r}")
    tag = _message_id_key().sign(str(delivery_id).encode()).hex()[:16]
    return f"<{delivery_id}.{tag}@{domain}>"


_date_cache: tuple[int, bytes] = (0, b"")


def _date_line() -> bytes:
    # Formatting a date costs more than the rest of the headers together; one per second is enough.
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode("ascii"))
    return _date_cache[1]


def _message_id_line(message_id: str) -> bytes:
    value = message_id.strip()
    inner = value[1:-1]
    if not (value.startswith("<") and value.endswith(">") and "@" in inner and inner.isascii()
            and inner.isprintable() and not any(c in inner for c in "<> ")):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    return f"Message-ID: {value}\r\n".encode("ascii")


def _list_unsubscribe_lines(payload: EmailPayload) -> bytes:
    url = mime.clean(payload.unsubscribe_url)
    if not url:
        return b""
    if not url.isascii() or any(c in url for c in "<> "):
        raise ValueError(f"not an unsubscribe URL: {url!r}")
    targets = [f"<{url}>"]
    if payload.unsubscribe_mailto:
        mailto = mime.clean(payload.unsubscribe_mailto)
        if not mailto.startswith("mailto:"):
            mailto = "mailto:" + mime.addr_spec(mailto)
        if not mailto.isascii() or any(c in mailto for c in "<> "):
            raise ValueError(f"not a mailto URI: {mailto!r}")
        targets.append(f"<{mailto}>")
    # RFC 8058: the https URL takes a POST with "List-Unsubscribe=One-Click" and unsubscribes at once.
    joined = ",\r\n ".join(targets)
    return (f"List-Unsubscribe: {joined}\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n").encode("ascii")


def _extra_lines(headers: tuple[tuple[str, str], ...]) -> bytes:
    out = []
    for name, value in headers:
        if not mime.HEADER_NAME.match(name) or name.lower() in _OWN_HEADERS:
            raise ValueError(f"cannot add the header {name!r}")
        out.append(mime.unstructured(name, value))
    return b"".join(out)


def _part(content_type: bytes, text: str, eight_bit: bool) -> tuple[bytes, bytes]:
    encoding, body = mime.encode_body(text, eight_bit=eight_bit)
    head = (b"Content-Type: " + content_type + b'; charset="utf-8"\r\nContent-Transfer-Encoding: '
            + encoding + b"\r\n\r\n")
    return head, body


def _body(payload: EmailPayload, eight_bit: bool) -> list[bytes]:
    text = payload.text if payload.text.strip() else ""
    html = payload.html if payload.html.strip() else ""
    if not (text and html):
        return list(_part(b"text/html" if html else b"text/plain", html or text, eight_bit))
    (plain_head, plain), (html_head, html_body) = _part(b"text/plain", text, eight_bit), \
        _part(b"text/html", html, eight_bit)
    boundary = f"=_kempen_{_PROCESS_TAG}_{next(_boundaries)}".encode("ascii")
    # "=_" never occurs in quoted-printable or base64 output; a 7bit/8bit body is searched.
    while boundary in plain or boundary in html_body:
        boundary += b"_"
    # The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): each part keeps its own.
    delimiter = b"\r\n--" + boundary + b"\r\n"
    return [b'Content-Type: multipart/alternative; boundary="', boundary, b'"\r\n\r\n',
            delimiter[2:], plain_head, plain, delimiter, html_head, html_body, b"\r\n--", boundary, b"--\r\n"]


def build_message(payload: EmailPayload, to: str, *, eight_bit: bool = False) -> bytes:
    """The complete message for one recipient, CRLF line ends, not yet dot-stuffed.

    `eight_bit=True` lets short-lined non-ASCII text go out unencoded (8bit); pass it only when
    the server advertised 8BITMIME and the message will not be DKIM-signed (RFC 6376 §5.3).
    Raises ValueError for an unusable address, Message-ID or extra header.
    """
    head = [
        _date_line(),
        f"From: {mime.mailbox(payload.from_name, payload.from_email)}\r\n".encode("ascii"),
        f"To: {mime.addr_spec(to)}\r\n".encode("ascii"),
    ]
    if payload.reply_to and mime.clean(payload.reply_to):
        head.append(f"Reply-To: {mime.addr_spec(mime.clean(payload.reply_to))}\r\n".encode("ascii"))
    head += [
        mime.unstructured("Subject", payload.subject),
        _message_id_line(payload.message_id),
        _list_unsubscribe_lines(payload),
        _extra_lines(payload.headers),
        b"MIME-Version: 1.0\r\n",
    ]
    head += _body(payload, eight_bit)
    return b"".join(head)
