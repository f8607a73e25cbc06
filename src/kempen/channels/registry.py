"""One adapter per channel, made from the settings; SMS, push, ads and print plug in here later."""

from __future__ import annotations

from collections.abc import Callable

from kempen.channels.base import ChannelAdapter
from kempen.channels.email.adapter import EmailAdapter
from kempen.config import Settings, get_settings
from kempen.kit.errors import InvalidInput
from kempen.models import Channel

_FACTORIES: dict[Channel, Callable[[Settings], ChannelAdapter]] = {
    Channel.EMAIL: EmailAdapter.from_settings,
}


def create_adapter(channel: Channel) -> ChannelAdapter:
    """A new, unopened adapter for a channel; InvalidInput for a channel without one yet or bad settings."""
    factory = _FACTORIES.get(channel)
    if factory is None:
        raise InvalidInput(f"no adapter for channel {channel.value} yet")
    try:
        return factory(get_settings())
    except (ValueError, OSError) as exc:  # a bad SMTP URL, an unreadable DKIM key: say which setting
        raise InvalidInput(f"the {channel.value} settings are not usable: {exc}") from None
