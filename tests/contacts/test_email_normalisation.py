"""The fast path for plain emails agrees with email-validator."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from kempen.contacts.schemas import normalise_email

ascii_chars = st.sampled_from(list("abcXYZ019.-_+@!#%' ü"))


def _reference(value: str) -> str | None:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _ours(value: str) -> str | None:
    try:
        return normalise_email(value)
    except ValueError:
        return None


@settings(max_examples=500)
@given(local=st.lists(ascii_chars, max_size=12).map(''.join), domain=st.lists(ascii_chars, max_size=12).map(''.join),
       tld=st.sampled_from(["com", "io", "test", "local", "x", "museum", "c0m", "de"]))
def test_fast_path_agrees_with_email_validator(local: str, domain: str, tld: str) -> None:
    value = f"{local}@{domain}.{tld}"
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize("value", ["a@aa--a.com", "a@xn--bcher-kva.de", "Ana@Example.COM", " bo@x.io ", "a.b+c@sub.example.co.uk", "ünï@exämple.de",
                                   "a..b@x.io", "a@-x.io", "a@x", "a@localhost", "a@b.local", "@x.io", "a@x..io"])
def test_examples_agree_with_email_validator(value: str) -> None:
    assert _ours(value) == _reference(value)
