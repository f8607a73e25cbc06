"""The signature scheme: round trip, tampering, wrong secret, replay window, malformed headers."""

from __future__ import annotations

import hashlib
import hmac

from kempen.webhooks.signing import signature_header, verify_signature

BODY = b'{"id":1,"type":"contact.created"}'


def test_header_is_hmac_of_timestamp_dot_body() -> None:
    header = signature_header("s3cret", BODY, 1_700_000_000)
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_round_trip_and_failures() -> None:
    header = signature_header("s3cret", BODY, 1_700_000_000)
    assert verify_signature("s3cret", header, BODY, 300, now=1_700_000_100)
    assert not verify_signature("s3cret", header, BODY + b" ", 300, now=1_700_000_100)
    assert not verify_signature("other", header, BODY, 300, now=1_700_000_100)
    assert not verify_signature("s3cret", header, BODY, 300, now=1_700_000_301)
    assert not verify_signature("s3cret", header, BODY, 300, now=1_699_999_600)


def test_malformed_headers_are_refused_and_any_v1_may_match() -> None:
    for header in ("", "garbage", "t=abc,v1=00", "v1=00", "t=1700000000"):
        assert not verify_signature("s3cret", header, BODY, 300, now=1_700_000_000)
    good = signature_header("s3cret", BODY, 1_700_000_000)
    rotated = f"t=1700000000, v1={'0' * 64}, {good.split(',')[1]}"
    assert verify_signature("s3cret", rotated, BODY, 300, now=1_700_000_000)
