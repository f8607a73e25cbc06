"""DKIM signatures verified by dkimpy against the public key, served by a DNS stand-in (no network)."""

from __future__ import annotations

import dkim
import pytest

from kempen.channels.email.dkim import SIGNED_HEADERS, DkimSigner
from kempen.channels.email.message import build_message
from kempen.config import Settings
from tests.channels.conftest import DkimKey
from tests.channels.factories import payload


def signer(key: DkimKey) -> DkimSigner:
    return DkimSigner(domain="acme.example", selector="k1", private_key=key.private_key.read_bytes())


def test_signed_message_verifies_and_covers_the_headers(dkim_key: DkimKey) -> None:
    signed = signer(dkim_key).sign(build_message(payload(subject="Grüße"), "jane@example.com"))
    assert signed.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.example;")
    assert dkim.verify(signed, dnsfunc=dkim_key.dnsfunc)
    header = signed.split(b"\r\n\r\n")[0].split(b"DKIM-Signature:")[1].split(b"\r\nDate:")[0]
    signed_headers = header.split(b"h=")[1].split(b";")[0].replace(b"\r\n", b"").replace(b" ", b"")
    assert signed_headers.split(b":") == list(SIGNED_HEADERS)


def test_a_changed_message_fails_verification(dkim_key: DkimKey) -> None:
    signed = signer(dkim_key).sign(build_message(payload(), "jane@example.com"))
    assert not dkim.verify(signed.replace(b"Spring sale", b"Winter sale"), dnsfunc=dkim_key.dnsfunc)
    assert not dkim.verify(signed.replace(b"Hello Jane", b"Hello John"), dnsfunc=dkim_key.dnsfunc)


def test_settings_turn_signing_on_only_when_complete(dkim_key: DkimKey, tmp_path: object) -> None:
    assert DkimSigner.from_settings(Settings(dkim_domain="acme.example")) is None
    configured = DkimSigner.from_settings(Settings(dkim_domain="acme.example", dkim_selector="k1",
                                                   dkim_private_key_path=dkim_key.private_key))
    assert configured is not None and configured.domain == b"acme.example"
    with pytest.raises(ValueError, match="cannot be read"):
        DkimSigner(domain="acme.example", selector="k1", private_key=b"not a key")
