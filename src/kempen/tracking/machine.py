"""Machine opens and clicks: mail privacy proxies and link scanners, told apart from people.

The rules (documented for users in docs/tracking.md) flag an event, never drop it: it is recorded
with `machine=True` and a `machine_reason`, and engagement rates leave it out by default.

Opens: Apple Mail Privacy Protection fetches every image when the message arrives (Apple's network
17.0.0.0/8, or its relays' bare "Mozilla/5.0" user agent); Yahoo's proxy prefetches likewise.
Google's image proxy is *not* a machine open: Gmail fetches the pixel when the message is opened.
Clicks: known scanner user agents, HEAD requests, Microsoft's Exchange Online Protection networks
(Safe Links), clicks within `CLICK_AFTER_SEND_SECONDS` of the send, a different link of the same
message clicked within `BURST_SECONDS` (people do not follow two links of an email in two seconds;
scanners follow them all at once), and the hidden honeypot link.
"""

from __future__ import annotations

import re
import time
from ipaddress import ip_address, ip_network

CLICK_AFTER_SEND_SECONDS = 10
BURST_SECONDS = 2.0
_KEEP = 16

APPLE_PROXY = "apple_privacy_proxy"
YAHOO_PROXY = "yahoo_proxy"
SCANNER_AGENT = "scanner_user_agent"
NO_AGENT = "no_user_agent"
HEAD_REQUEST = "head_request"
SAFE_LINKS = "microsoft_safe_links"
TOO_SOON = "clicked_right_after_send"
BURST = "links_clicked_together"
HONEYPOT = "honeypot_link"

_APPLE_NETWORKS = (ip_network("17.0.0.0/8"),)
# Exchange Online Protection, where Microsoft Defender Safe Links fetches URLs from.
_MICROSOFT_NETWORKS = tuple(ip_network(n) for n in ("40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14",
                                                    "104.47.0.0/17"))
# Lowercase substrings of link scanners' and scripts' user agents (plain `in` tests: a regex alternation
# of these cost ~5 % of a redirect's CPU).
_SCANNERS = ("barracuda", "mimecast", "proofpoint", "safelinks", "bingpreview", "symantec", "messagelabs",
             "forcepoint", "trendmicro", "trend micro", "fortiguard", "ironport", "sophos", "zscaler",
             "checkpoint", "cloudmark", "spamtitan", "python-requests", "python-urllib", "aiohttp", "curl/",
             "wget/", "go-http-client", "okhttp", "java/", "libwww-perl", "headlesschrome", "phantomjs",
             "bot/", "bot;", "bot)", " bot ", "crawler", "spider", "scanner", "preview")


# One compiled alternation: checked on every click, it runs in C instead of a Python loop over the names.
_SCANNER_PATTERN = re.compile("|".join(re.escape(name) for name in _SCANNERS))


_known_agents: dict[str, bool] = {}


def _scanner(agent: str) -> bool:
    # Remembered per user agent: a campaign's clicks come from a few thousand distinct ones at most.
    found = _known_agents.get(agent)
    if found is None:
        if len(_known_agents) > 20_000:
            _known_agents.clear()
        found = _known_agents[agent] = _SCANNER_PATTERN.search(agent.lower()) is not None
    return found


def _in(ip: str | None, networks: tuple[object, ...], prefixes: tuple[str, ...]) -> bool:
    # The string prefix first: parsing every visitor's address cost ~2 us per redirect.
    if not ip or not ip.startswith(prefixes):
        return False
    try:
        address = ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)  # type: ignore[operator]


def open_reason(user_agent: str | None, ip: str | None) -> str | None:
    """Why an open was made by a machine, or None for a person (Gmail's image proxy included)."""
    agent = (user_agent or "").strip()
    if "GoogleImageProxy" in agent:
        return None
    if "YahooMailProxy" in agent:
        return YAHOO_PROXY
    if agent == "Mozilla/5.0" or _in(ip, _APPLE_NETWORKS, ("17.",)):
        return APPLE_PROXY
    if not agent:
        return NO_AGENT
    if _scanner(agent):
        return SCANNER_AGENT
    return None


def click_reason(*, method: str, user_agent: str | None, ip: str | None, issued_at: int,
                 now: float) -> str | None:
    """Why a click was made by a machine (rules that need only this request), or None."""
    agent = (user_agent or "").strip()
    if method == "HEAD":
        return HEAD_REQUEST
    if not agent:
        return NO_AGENT
    if _scanner(agent):
        return SCANNER_AGENT
    if _in(ip, _MICROSOFT_NETWORKS, ("40.", "52.", "104.")):
        return SAFE_LINKS
    if now - issued_at < CLICK_AFTER_SEND_SECONDS:
        return TOO_SOON
    return None


class BurstDetector:
    """Recent clicks per delivery in this process: a second link followed within BURST_SECONDS is a scanner.

    In-process on purpose (no query per click): with several server processes a burst split across
    them is missed; the other rules usually catch such scanners anyway. Used from the event loop's
    thread only (the endpoints are async), so it needs no lock.
    """

    def __init__(self, window: float = BURST_SECONDS) -> None:
        self.window = window
        # Per delivery, its recent clicks as ((when, link index), ...): tuples of numbers, which the cyclic
        # collector stops tracking, where lists of them were walked on each of its full collections.
        self._recent: dict[int, tuple[tuple[float, int], ...]] = {}
        self._pruned = time.monotonic()

    def click(self, delivery_id: int, link_index: int, now: float | None = None) -> bool:
        """Note a click; True when another link of the same delivery was clicked within the window."""
        now = time.monotonic() if now is None else now
        if now - self._pruned > 10 * self.window:
            self._prune(now)
        earlier = self._recent.get(delivery_id)
        if earlier is None:  # the usual case: the email's first click in a while
            self._recent[delivery_id] = ((now, link_index),)
            return False
        recent = tuple((at, i) for at, i in earlier[-_KEEP:] if now - at <= self.window)
        burst = any(i != link_index for _, i in recent)
        self._recent[delivery_id] = (*recent, (now, link_index))
        return burst

    def _prune(self, now: float) -> None:
        self._recent = {d: c for d, c in self._recent.items() if now - c[-1][0] <= self.window}
        self._pruned = now
