"""The precomputed-state HMAC against the standard library's, on any key and message."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from kempen.kit.hmac_sha256 import HmacSha256

# Keys shorter than, equal to and longer than SHA-256's 64-byte block (the last are hashed first).
keys = st.binary(min_size=0, max_size=200)


@given(keys, st.binary(max_size=500))
def test_sign_is_the_standard_hmac(key: bytes, message: bytes) -> None:
    assert HmacSha256(key).sign(message) == hmac.digest(key, message, "sha256")


@given(keys, st.lists(st.binary(max_size=100), max_size=5), st.binary(max_size=100))
def test_updates_then_sign_cover_the_whole_message(key: bytes, parts: list[bytes], tail: bytes) -> None:
    mac = HmacSha256(key)
    for part in parts:
        mac.update(part)
    expected = hmac.new(key, b"".join(parts), hashlib.sha256)
    assert mac.digest() == expected.digest()
    assert mac.hexdigest() == expected.hexdigest()
    expected.update(tail)
    assert mac.sign(tail) == expected.digest()


def test_a_copy_is_independent_of_its_original() -> None:
    shared = HmacSha256(b"secret")
    shared.update(b"head ")
    first, second = shared.copy(), shared.copy()
    first.update(b"one")
    second.update(b"two")
    assert first.digest() == hmac.digest(b"secret", b"head one", "sha256")
    assert second.digest() == hmac.digest(b"secret", b"head two", "sha256")
    assert shared.digest() == hmac.digest(b"secret", b"head ", "sha256")
    assert shared.digest() == shared.digest()  # digest leaves the MAC as it was
