"""Tracked links: rewriting at compile time, per-email tokens, and the rules on forged, altered or foreign tokens."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer

from kempen.config import get_settings
from kempen.kit.errors import InvalidInput
from kempen.models import Channel
from kempen.templates.compiled import compile_email
from kempen.templates.context import sample_context
from kempen.templates.links import OPEN_VARIABLE, TRACKER_VARIABLE, TRAP_VARIABLE, Tracking, link_table
from kempen.templates.message import EmailTemplate
from kempen.tracking.links import EmailTracker, read_click_token, read_open_token
from kempen.tracking.tokens import CLICK, OPEN, sign_token
from kempen.tracking.unsubscribe import unsubscribe_url

BENCH_TEMPLATE = Path(__file__).parents[2] / "bench" / "send_template.html"
IDS = {"workspace_id": 3, "delivery_id": 41, "contact_id": 5, "campaign_id": 7, "message_id": 8, "variant_id": 9}
HTML = """<html><head><style>a { color: red; }</style></head><body>
<p><a href="https://shop.example/a?x=1&amp;y=2#top">Static</a></p>
<p><a href="https://shop.example/p/{{ id }}?ref=mail">Personal</a></p>
<p><a href="mailto:help@shop.example">Mail us</a> <a href="tel:+3112345">Call</a> <a href="#faq">FAQ</a></p>
<p><a data-kempen-notrack href="https://shop.example/private">Not tracked</a></p>
<p><a href="{{ preferences_url }}">Preferences</a> <a href='https://shop.example/b'>Single quotes</a></p>
<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</body></html>"""


def tracker(issued_at: int | None = None, **ids: int) -> EmailTracker:
    values = {**IDS, **ids}
    return EmailTracker(get_settings().base_url, issued_at=int(time.time()) if issued_at is None else issued_at,
                        opens=True, **values)


def context(track: EmailTracker) -> dict[str, object]:
    ctx = sample_context()
    url = unsubscribe_url(workspace_id=3, contact_id=5, channel=Channel.EMAIL, campaign_id=7, delivery_id=41)
    ctx.update({"unsubscribe_url": url, "preferences_url": url.replace("/u/", "/p/"),
                TRACKER_VARIABLE: track, OPEN_VARIABLE: track.open_url, TRAP_VARIABLE: track.trap_url})
    return ctx


def click_targets(markup: str) -> list[tuple[int, str | None]]:
    found = re.findall(r"/c/([A-Za-z0-9_.-]+)", markup)
    return [(t.link_index, t.url) for t in map(read_click_token, dict.fromkeys(found))]


@pytest.mark.parametrize("fast", [True, False])
def test_links_are_rewritten_except_own_pages_mail_phone_anchors_and_opt_outs(fast: bool) -> None:
    compiled = compile_email(EmailTemplate(subject="Hi", preheader="", html=HTML), tracking=Tracking(),
                             inline_once=fast)
    assert compiled.fast is fast
    rendered = compiled.render(context(tracker()))
    hrefs = re.findall(r'href="([^"]*)"', rendered.html)
    untouched = {"mailto:help@shop.example", "tel:+3112345", "#faq", "https://shop.example/private"}
    assert untouched <= set(hrefs)
    assert sum("/u/" in h for h in hrefs) == 1 and sum("/p/" in h for h in hrefs) == 1
    targets = click_targets(rendered.html)
    if fast:  # static links by position, personal ones carry their rendered URL
        assert targets == [(0, None), (1, "https://shop.example/p/0?ref=mail"), (2, None)]
        assert link_table(HTML) == ["https://shop.example/a?x=1&y=2#top", None, "https://shop.example/b"]
    else:  # rewritten after each render: every URL in its token
        assert targets == [(0, "https://shop.example/a?x=1&y=2#top"), (1, "https://shop.example/p/0?ref=mail"),
                           (2, "https://shop.example/b")]
    assert rendered.html.count("/o/") == 1 and rendered.html.count("/h/") == 1
    assert 'width="1" height="1"' in rendered.html


def test_the_derived_text_part_keeps_the_links_as_written_and_has_no_pixel() -> None:
    template = EmailTemplate(subject="Hi", preheader="Soon {{ first_name }}", html=HTML)
    rendered = compile_email(template, tracking=Tracking()).render(context(tracker()))
    assert rendered.text == compile_email(template).render(context(tracker())).text
    assert "https://shop.example/p/0?ref=mail" in rendered.text and "/c/" not in rendered.text
    assert "/o/" not in rendered.text and "/h/" not in rendered.text
    # With a preheader too, the HTML has its tracked links, pixel and honeypot.
    assert len(click_targets(rendered.html)) == 3 and "/o/" in rendered.html and "/h/" in rendered.html


def test_tracking_off_changes_nothing_and_opens_only_adds_the_pixel() -> None:
    template = EmailTemplate(subject="Hi", preheader="", html=HTML)
    plain = compile_email(template).render(context(tracker()))
    assert compile_email(template, tracking=Tracking(opens=False, clicks=False)).render(
        context(tracker())).html == plain.html
    opens_only = compile_email(template, tracking=Tracking(opens=True, clicks=False)).render(context(tracker()))
    assert "/c/" not in opens_only.html and "/h/" not in opens_only.html and opens_only.html.count("/o/") == 1


def test_bench_template_tracks_its_three_personal_links() -> None:
    html = BENCH_TEMPLATE.read_text()
    compiled = compile_email(EmailTemplate(subject="Hi", preheader="", html=html), tracking=Tracking())
    assert compiled.fast
    rendered = compiled.render(context(tracker()))
    assert click_targets(rendered.html) == [(0, "https://shop.example/autumn?c=0"),
                                            (1, "https://shop.example/reorder/SAMPLE-1001"),
                                            (2, "https://shop.example/advice?c=0")]


def test_tokens_round_trip() -> None:
    track = tracker(issued_at=1_700_000_000)
    opened = read_open_token(track.open_url.rsplit("/", 1)[1])
    assert (opened.workspace_id, opened.delivery_id, opened.contact_id, opened.campaign_id, opened.message_id,
            opened.variant_id, opened.issued_at) == (3, 41, 5, 7, 8, 9, 1_700_000_000)
    clicked = read_click_token(str(track.click(2, 'https://x.example/?q="a"&b')).rsplit("/", 1)[1])
    assert (clicked.delivery, clicked.link_index, clicked.url) == (opened, 2, 'https://x.example/?q="a"&b')
    assert read_click_token(str(track.click(0)).rsplit("/", 1)[1]).url is None


def _parts(token: str) -> tuple[str, str]:
    body, signature = token.split(".")
    return body, signature


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_forged_altered_and_foreign_tokens_are_refused() -> None:
    track = tracker()
    token = str(track.click(1, "https://shop.example/x")).rsplit("/", 1)[1]
    body, signature = _parts(token)
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    key = get_settings().signing_key
    altered = []
    for field, value in (("w", 4), ("d", 42), ("c", 6), ("k", 8), ("m", 9), ("v", 10), ("t", 1), ("i", 0),
                         ("u", "https://evil.example/")):
        altered.append(_b64({**payload, field: value}) + "." + signature)
    unsubscribe = unsubscribe_url(workspace_id=3, contact_id=5, channel=Channel.EMAIL, campaign_id=7,
                                  delivery_id=41).rsplit("/", 1)[1]
    bad = [*altered, body + "." + signature[:-2] + ("AA" if not signature.endswith("AA") else "BB"), body, "",
           "x" * 40, unsubscribe, track.open_url.rsplit("/", 1)[1],
           URLSafeSerializer("another key", salt=CLICK).dumps(payload),
           sign_token(CLICK, {**payload, "i": "0"}), sign_token(CLICK, {**payload, "u": 5}),
           sign_token(CLICK, {k: v for k, v in payload.items() if k != "d"})]
    for candidate in bad:
        with pytest.raises(InvalidInput):
            read_click_token(candidate)
    with pytest.raises(InvalidInput):
        read_open_token(token)  # a click token is not an open token
    with pytest.raises(InvalidInput):
        read_open_token(URLSafeSerializer(key, salt="kempen.unsubscribe.v1").dumps(payload))
    assert read_open_token(sign_token(OPEN, {k: v for k, v in payload.items() if k not in "iu"})).delivery_id == 41


def test_tokens_expire_after_the_configured_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "tracking_token_days", 30)
    now = time.time()
    young = read_open_token(tracker(issued_at=int(now - 29 * 86_400)).open_url.rsplit("/", 1)[1])
    old = read_open_token(tracker(issued_at=int(now - 31 * 86_400)).open_url.rsplit("/", 1)[1])
    assert not young.expired(now) and old.expired(now)
