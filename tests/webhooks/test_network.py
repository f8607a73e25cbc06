"""The send-time destination check: names that resolve to internal addresses are never contacted."""

from __future__ import annotations

import pytest

from kempen.config import get_settings
from kempen.webhooks.network import destination_refusal


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "webhook_allow_http_localhost", False)


def test_a_name_resolving_to_loopback_is_refused(strict: None) -> None:
    refusal = destination_refusal("https://localhost:8443/hook")
    assert refusal is not None and "not a public address" in refusal


def test_a_literal_public_address_passes_and_private_fails(strict: None) -> None:
    assert destination_refusal("https://93.184.216.34/hook") is None
    assert destination_refusal("https://10.0.0.7/hook") is not None


def test_an_unresolvable_name_is_refused(strict: None) -> None:
    refusal = destination_refusal("https://no-such-host.invalid/hook")
    assert refusal is not None and "cannot resolve" in refusal


def test_local_http_is_allowed_only_with_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "webhook_allow_http_localhost", True)
    assert destination_refusal("http://127.0.0.1:9/x") is None
