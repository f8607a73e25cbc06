"""build_message output checked by the stdlib parser: structure, headers, bodies, and no header injection."""

from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kempen.channels.email.message import build_message, make_message_id
from kempen.channels.email.mime import clean
from tests.channels.factories import payload


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    return message


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    # On the wire every line ends in CRLF; the parser hands 7bit/8bit text back as it was sent.
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


def test_message_has_every_header_and_both_parts() -> None:
    raw = build_message(payload(), "jane@example.com")
    message = parse(raw)
    assert message["From"] == "Acme Shop <news@acme.example>"
    assert message["To"] == "jane@example.com"
    assert message["Reply-To"] == "help@acme.example"
    assert message["Subject"] == "Spring sale"
    assert message["Message-ID"] == "<7.abc@acme.example>"
    assert message["MIME-Version"] == "1.0"
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe"] == "<https://kempen.example/u/abc.def>, <mailto:unsubscribe@acme.example>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (message["X-Kempen-Workspace"], message["X-Kempen-Campaign"], message["X-Kempen-Delivery"]) == \
        ("3", "5", "7")
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert body(message, "plain") == "Hello Jane\n"
    assert body(message, "html") == "<p>Hello Jane</p>\n"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_single_part_when_there_is_no_text_and_no_unsubscribe_headers_without_url() -> None:
    message = parse(build_message(payload(text="", unsubscribe_url="", unsubscribe_mailto=None), "a@b.example"))
    assert message.get_content_type() == "text/html"
    assert "List-Unsubscribe" not in message and "List-Unsubscribe-Post" not in message


def test_encodings_chosen_by_content() -> None:
    long_line = "x" * 1500 + "\n"
    cases = {
        "plain ascii": ("Hello\n", False, "7bit"),
        "latin without 8BITMIME": ("Grüße aus Köln, wir haben ein Angebot\n", False, "quoted-printable"),
        "latin with 8BITMIME": ("Grüße aus Köln\n", True, "8bit"),
        "long line": (long_line, True, "quoted-printable"),
        "mostly cyrillic": ("Привет мир, это письмо\n" * 5, False, "base64"),
        "NUL byte": ("a\x00b\n", True, "quoted-printable"),
    }
    for name, (text, eight_bit, expected) in cases.items():
        message = parse(build_message(payload(text=text, html=""), "a@b.example", eight_bit=eight_bit))
        assert message["Content-Transfer-Encoding"] == expected, name
        assert message.get_content().replace("\r\n", "\n") == text, name  # type: ignore[attr-defined]


def test_non_ascii_subject_names_and_idn_domains() -> None:
    p = payload(subject="Frühlingsangebot für Jürgen 🌷", from_name="Bäckerei Müller", reply_to="hilfe@bücher.de")
    message = parse(build_message(p, "jürgen@bücher.de".replace("ü", "u", 1)))
    assert message["Subject"] == "Frühlingsangebot für Jürgen 🌷"
    assert message["From"].addresses[0].display_name == "Bäckerei Müller"
    assert message["Reply-To"] == "hilfe@xn--bcher-kva.de"
    assert message["To"] == "jurgen@xn--bcher-kva.de"


def test_refuses_bad_addresses_headers_and_message_ids() -> None:
    for to in ("not an address", "a@b.example>\r\nBcc: x@y", "jür@example.com"):
        with pytest.raises(ValueError):
            build_message(payload(), to)
    for headers in ((("Bcc", "x@y.example"),), (("X-Bad Name", "1"),), (("X-Bad:", "1"),)):
        with pytest.raises(ValueError):
            build_message(payload(headers=headers), "a@b.example")
    for message_id in ("no-brackets@x", "<a b@x>", "<a@x>\r\nBcc: y@z"):
        with pytest.raises(ValueError):
            build_message(payload(message_id=message_id), "a@b.example")


def test_make_message_id_is_deterministic_and_distinct() -> None:
    first = make_message_id(42, "Acme.Example")
    assert first == make_message_id(42, "acme.example")
    assert first != make_message_id(43, "acme.example")
    assert first.startswith("<42.") and first.endswith("@acme.example>")
    with pytest.raises(ValueError):
        make_message_id(1, "bad domain")


# Text a contact or a template could produce: unicode, controls, lines starting with a dot, long lines.
_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
_texts = st.text(_ALPHABET, max_size=200) | st.lists(
    st.sampled_from([".", "..", ".\r\n", "\r\n.\r\n", "x" * 1200, "=?utf-8?q?x?=", " ", "\t", "é", "\r", "\n",
                     "Bcc: evil@example.com", "\r\nBcc: evil@example.com", "\"", "\\", "😀", "=_kempen_"]),
    max_size=12).map("".join)


# Display names as senders use them; long ones are checked in test_long_display_names_fold.
_names = st.text(_ALPHABET, max_size=40) | st.lists(
    st.sampled_from([".", "\r\n", "=?utf-8?q?x?=", " ", "\t", "é", "\"", "\\", "😀", "<", ">", "@", ",", "Bcc:"]),
    max_size=12).map("".join)


def test_long_display_names_fold() -> None:
    for name in ("x" * 1200, "Bäckerei Müller und Söhne, seit 1890 in der Altstadt " * 4):
        raw = build_message(payload(from_name=name), "jane@example.com")
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998
        from_value = parse(raw).get_all("From")
        assert from_value is not None and len(from_value) == 1
        # RFC 2047 §6.2: white space between encoded-words is dropped (decode_header does so; the
        # stdlib's address parser keeps it, which is why this is not part of the round-trip test).
        header = raw.split(b"\r\nFrom: ")[1].split(b" <news@acme.example>")[0].decode()
        assert str(make_header(decode_header(header))) == " ".join(name.split())


def _normalised_body(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") else text + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_texts, name=_names, text=_texts, html=_texts, eight_bit=st.booleans())
def test_round_trip_through_the_stdlib_parser(subject: str, name: str, text: str, html: str,
                                               eight_bit: bool) -> None:
    p = payload(subject=subject, from_name=name, text="t" + text, html="h" + html,
                headers=(("X-Kempen-Note", subject),))
    raw = build_message(p, "jane@example.com", eight_bit=eight_bit)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = parse(raw)
    # No value can add a header: exactly the headers we wrote, each once.
    names = [key.lower() for key in message]
    assert sorted(names) == sorted(["date", "from", "to", "reply-to", "subject", "message-id",
                                    "list-unsubscribe", "list-unsubscribe-post", "x-kempen-note",
                                    "mime-version", "content-type"])
    assert message["Subject"] == clean(subject)
    assert message["X-Kempen-Note"] == clean(subject)
    shown = " ".join(clean(name).split())
    if "=?" in shown or not shown.isascii():
        # Encoded-words: checked with the RFC 2047 decoder, as the stdlib's address parser puts a
        # space between adjacent encoded-words of a long name where RFC 2047 §6.2 puts none.
        header = raw.split(b"\r\nFrom: ")[1].split(b" <news@acme.example>")[0].decode()
        assert str(make_header(decode_header(header))) == shown
    else:
        assert message["From"].addresses[0].display_name == shown
    assert message["From"].addresses[0].addr_spec == "news@acme.example"
    assert body(message, "plain") == _normalised_body("t" + text)
    assert body(message, "html") == _normalised_body("h" + html)
