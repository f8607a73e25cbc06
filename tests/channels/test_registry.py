"""create_adapter: the email adapter from the settings (SMTP URL or the built-in sink), nothing else yet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kempen.channels.email.adapter import EmailAdapter
from kempen.channels.registry import create_adapter
from kempen.config import get_settings
from kempen.kit.errors import InvalidInput
from kempen.models import Channel


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_email_goes_to_the_sink_without_an_smtp_url(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.delenv("KEMPEN_SMTP_URL", raising=False)
    fresh_settings.setenv("KEMPEN_MAIL_SINK_PORT", "2626")
    adapter = create_adapter(Channel.EMAIL)
    assert isinstance(adapter, EmailAdapter)
    assert (adapter.server.host, adapter.server.port, adapter.server.tls) == ("127.0.0.1", 2626, "off")


def test_email_uses_the_smtp_url_and_shares_the_rate(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.setenv("KEMPEN_SMTP_URL", "smtps://relay.example")
    fresh_settings.setenv("KEMPEN_SMTP_RATE_PER_SECOND", "100")
    fresh_settings.setenv("KEMPEN_WORKER_PROCESSES", "4")
    adapter = create_adapter(Channel.EMAIL)
    assert isinstance(adapter, EmailAdapter)
    assert (adapter.server.host, adapter.server.port, adapter.server.tls) == ("relay.example", 465, "implicit")
    assert adapter._bucket.rate == 25


def test_other_channels_have_no_adapter_yet() -> None:
    with pytest.raises(InvalidInput, match="no adapter for channel sms yet"):
        create_adapter(Channel.SMS)


def test_unusable_settings_are_invalid_input(fresh_settings: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fresh_settings.setenv("KEMPEN_SMTP_URL", "http://mail.example")
    with pytest.raises(InvalidInput, match="KEMPEN_SMTP_URL"):
        create_adapter(Channel.EMAIL)
    get_settings.cache_clear()
    fresh_settings.delenv("KEMPEN_SMTP_URL")
    fresh_settings.setenv("KEMPEN_DKIM_DOMAIN", "acme.example")
    fresh_settings.setenv("KEMPEN_DKIM_SELECTOR", "k1")
    fresh_settings.setenv("KEMPEN_DKIM_PRIVATE_KEY_PATH", str(tmp_path / "missing.pem"))
    with pytest.raises(InvalidInput, match="KEMPEN_DKIM_PRIVATE_KEY_PATH"):
        create_adapter(Channel.EMAIL)
