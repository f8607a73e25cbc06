"""Machine opens and clicks: each rule of docs/tracking.md, and people left alone."""

from __future__ import annotations

import pytest

from kempen.tracking import machine

PERSON = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.1 Safari/605.1.15")
SENT = 1_700_000_000


@pytest.mark.parametrize(("agent", "ip", "reason"), [
    ("Mozilla/5.0", "104.28.40.1", machine.APPLE_PROXY),             # Apple MPP relays: bare user agent
    (PERSON, "17.58.1.20", machine.APPLE_PROXY),                     # Apple's own network
    ("Mozilla/5.0 (X11) YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
     "66.196.1.1", machine.YAHOO_PROXY),
    ("Barracuda Sentinel (EE)", "1.2.3.4", machine.SCANNER_AGENT),
    ("", "1.2.3.4", machine.NO_AGENT),
    # Gmail fetches the image when the message is opened: a person's open.
    ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)", "66.249.84.1",
     None),
    (PERSON, "203.0.113.9", None),
])
def test_open_rules(agent: str, ip: str, reason: str | None) -> None:
    assert machine.open_reason(agent, ip) == reason


@pytest.mark.parametrize(("method", "agent", "ip", "after", "reason"), [
    ("HEAD", PERSON, "203.0.113.9", 3600, machine.HEAD_REQUEST),
    ("GET", "Mozilla/5.0 (compatible; Mimecast URL Protect)", "203.0.113.9", 3600, machine.SCANNER_AGENT),
    ("GET", "Proofpoint URL Defense", "203.0.113.9", 3600, machine.SCANNER_AGENT),
    ("GET", "python-requests/2.31", "203.0.113.9", 3600, machine.SCANNER_AGENT),
    ("GET", PERSON, "104.47.12.3", 3600, machine.SAFE_LINKS),
    ("GET", PERSON, "203.0.113.9", 3, machine.TOO_SOON),
    ("GET", "", "203.0.113.9", 3600, machine.NO_AGENT),
    ("GET", PERSON, "203.0.113.9", 3600, None),
    ("GET", PERSON, "not an address", 3600, None),
])
def test_click_rules(method: str, agent: str, ip: str, after: int, reason: str | None) -> None:
    assert machine.click_reason(method=method, user_agent=agent, ip=ip, issued_at=SENT, now=SENT + after) == reason


def test_a_second_link_within_two_seconds_is_a_burst_but_the_same_link_again_is_not() -> None:
    bursts = machine.BurstDetector()
    assert not bursts.click(1, 0, now=100.0)
    assert not bursts.click(1, 0, now=100.5)       # a double click on the same link
    assert bursts.click(1, 1, now=101.0)           # another link half a second later
    assert not bursts.click(2, 1, now=101.0)       # another message
    assert not bursts.click(1, 2, now=104.0)       # a person coming back later
    assert not bursts.click(3, 0, now=200.0) and not bursts.click(3, 1, now=202.5)
