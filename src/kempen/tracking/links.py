"""Open and click URLs: made once per email while composing, read back by the tracking endpoints.

An open token and each click token are signed JSON (`tokens.sign_json`, own salt each) naming the
delivery and where it belongs (workspace, campaign, message, variant, contact) and the second it was
issued (`t`, the send time: tokens expire after `tracking_token_days`, and the machine rules compare
a click with it). A click token adds the link's position `i` and, only for links whose URL is
rendered per contact (Jinja in the href), the URL itself `u`: static URLs stay in the variant, where
the redirect finds them by position, so most tokens stay short and cheap to make.
"""

from __future__ import annotations

import html as htmllib
import time
from typing import Any, NamedTuple

import orjson
from markupsafe import Markup

from kempen.config import get_settings
from kempen.kit.errors import InvalidInput
from kempen.tracking.tokens import CLICK, OPEN, PrefixSigner, read_token_fast, sign_json

_INVALID = "This link is not valid: it may be incomplete or altered."
_DAY = 86_400


class TrackedDelivery(NamedTuple):
    """What a genuine open or click token says about the email it came from.

    A named tuple, not a frozen dataclass: one is made per tracked request, and a frozen dataclass's
    `__init__` costs several times a tuple's.
    """

    workspace_id: int
    delivery_id: int
    contact_id: int
    campaign_id: int
    message_id: int
    variant_id: int
    issued_at: int  # Unix seconds

    def expired(self, now: float | None = None) -> bool:
        """Whether the token is older than `tracking_token_days`."""
        now = time.time() if now is None else now
        return now - self.issued_at > get_settings().tracking_token_days * _DAY


class ClickToken(NamedTuple):
    delivery: TrackedDelivery
    link_index: int
    # The destination, when it was rendered per contact; None: the variant's static link at `link_index`.
    url: str | None


def tracking_prefix() -> str:
    """`<base_url>` without its trailing slash (read once per batch)."""
    return get_settings().base_url.rstrip("/")


class EmailTracker:
    """The tracking URLs of one email; `click` is what the compiled template calls per link."""

    # The `kempen_link` filter (templates.sandbox) calls `click`; compose puts the tracker, the open
    # URL and the honeypot URL in the render context.

    __slots__ = ("_prefix", "_clicks", "open_url", "trap_url")

    def __init__(self, prefix: str, *, workspace_id: int, delivery_id: int, contact_id: int, campaign_id: int,
                 message_id: int, variant_id: int, issued_at: int, opens: bool) -> None:
        self._prefix = prefix
        # Ints only: the compact JSON is written directly (once per email, shared by every token).
        head = (f'{{"w":{int(workspace_id)},"d":{int(delivery_id)},"c":{int(contact_id)},'
                f'"k":{int(campaign_id)},"m":{int(message_id)},"v":{int(variant_id)},"t":{int(issued_at)}')
        self._clicks = PrefixSigner(CLICK, head)
        # The honeypot link (hidden; only machines follow it) reuses the email's open token under /h/.
        token = sign_json(OPEN, head + "}")
        self.open_url = f"{prefix}/o/{token}" if opens else ""
        self.trap_url = f"{prefix}/h/{token}"

    def click(self, index: int, href: str | None = None) -> str:
        """The redirect URL for link `index`; `href` is the link's rendered URL when it has Jinja in it."""
        if href is None:
            tail = f',"i":{int(index)}}}'
        else:
            if type(href) is Markup:
                # From the HTML part the captured href is markup: entities escaped.
                href = htmllib.unescape(str(href)) if "&" in href else str(href)
            tail = f',"i":{int(index)},"u":{orjson.dumps(href.strip()).decode()}}}'
        return f"{self._prefix}/c/{self._clicks.sign(tail)}"


def _int(value: object, *, minimum: int = 1) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidInput(_INVALID)
    return value


_DELIVERY_KEYS = ("w", "d", "c", "k", "m", "v", "t")
_SEVEN_INTS = [int] * 7


def _delivery(payload: dict[str, object]) -> TrackedDelivery:
    values: tuple[Any, ...] = tuple(map(payload.get, _DELIVERY_KEYS))
    # Plain ints only (bool is not one here), ids from 1 and the second from 0: checked per tracked request,
    # so in C-level calls rather than a Python loop.
    if list(map(type, values)) != _SEVEN_INTS or min(values[:6]) < 1 or values[6] < 0:
        raise InvalidInput(_INVALID)
    return TrackedDelivery._make(values)


def read_open_token(token: str) -> TrackedDelivery:
    """The contents of a genuine open token; InvalidInput for a forged, altered or foreign one."""
    return _delivery(read_token_fast(OPEN, token))


def read_click_token(token: str) -> ClickToken:
    """The contents of a genuine click token; InvalidInput for a forged, altered or foreign one."""
    payload = read_token_fast(CLICK, token)
    url = payload.get("u")
    if url is not None and not isinstance(url, str):
        raise InvalidInput(_INVALID)
    return ClickToken(delivery=_delivery(payload), link_index=_int(payload.get("i"), minimum=-1), url=url)
