"""The public /o, /c and /h endpoints on a real database: what they answer and what they record."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.models import TouchKind, TrackingEvent, WorkspaceTrackingSettings
from kempen.tracking import machine
from kempen.tracking.click_ids import read_click_id
from kempen.tracking.links import EmailTracker
from kempen.tracking.settings import get_tracking_settings
from kempen.web.views import tracking as tracking_views
from kempen.web.views.tracking import PIXEL
from tests.conftest import Tenant
from tests.delivery.conftest import add_contacts, make_campaign

PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
HTML = """<html><body>
<a href="https://shop.example/sale?utm_source=newsletter#deals">Sale</a>
<a href="https://shop.example/p/{{ first_name }}">Yours</a>
<a href="{{ first_name }}">Scheme from data</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>"""


@dataclass
class Sent:
    tenant: Tenant
    client: TestClient
    campaign_id: int
    variant_id: int
    contact_id: int

    def tracker(self, *, delivery_id: int = 77, age_seconds: int = 3600) -> EmailTracker:
        return EmailTracker(get_settings().base_url, workspace_id=self.tenant.id, delivery_id=delivery_id,
                            contact_id=self.contact_id, campaign_id=self.campaign_id, message_id=1,
                            variant_id=self.variant_id, issued_at=int(time.time()) - age_seconds, opens=True)


@pytest.fixture
def sent(session: Session, tenant: Tenant) -> Sent:
    contact_id = add_contacts(session, tenant.id, 1)[0]
    built = make_campaign(session, tenant.id, html=HTML, splits=(100,))
    return Sent(tenant, tenant.client, built.campaign_id, built.variant_ids[0], contact_id)


def path(url: str) -> str:
    return urlsplit(str(url)).path


def events(session: Session, sent: Sent) -> list[TrackingEvent]:
    session.expire_all()
    return list(session.scalars(select(TrackingEvent).where(TrackingEvent.workspace_id == sent.tenant.id)
                                .order_by(TrackingEvent.id)))


def test_click_redirects_with_utm_and_click_id_and_records_the_click(session: Session, sent: Sent) -> None:
    answer = sent.client.get(path(sent.tracker().click(0)), headers={"User-Agent": PERSON},
                             follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["cache-control"].startswith("no-store") and answer.headers["referrer-policy"] == "no-referrer"
    target = urlsplit(answer.headers["location"])
    query = dict(parse_qsl(target.query))
    assert (target.scheme, target.netloc, target.path, target.fragment) == ("https", "shop.example", "/sale", "deals")
    assert query["utm_source"] == "newsletter"  # kept as written
    assert (query["utm_medium"], query["utm_content"]) == ("email", "A")
    assert query["utm_campaign"].endswith(f"-{sent.campaign_id}")
    click_id = read_click_id(query["kmp"])
    assert (click_id.delivery_id, click_id.contact_id, click_id.variant_id) == (77, sent.contact_id, sent.variant_id)
    [row] = events(session, sent)
    assert (row.kind, row.delivery_id, row.contact_id, row.campaign_id, row.variant_id, row.link_index, row.url,
            row.machine, row.user_agent) == (TouchKind.CLICK, 77, sent.contact_id, sent.campaign_id, sent.variant_id,
                                             0, "https://shop.example/sale?utm_source=newsletter#deals", False, PERSON)


def test_a_personal_link_goes_where_its_signed_url_says(session: Session, sent: Sent) -> None:
    answer = sent.client.get(path(sent.tracker().click(1, "https://shop.example/p/Ann0")),
                             headers={"User-Agent": PERSON}, follow_redirects=False)
    assert answer.headers["location"].startswith("https://shop.example/p/Ann0?utm_source=kempen&utm_medium=email")
    assert events(session, sent)[0].url == "https://shop.example/p/Ann0"


def test_utm_can_be_turned_off_but_the_click_id_stays(session: Session, sent: Sent) -> None:
    get_tracking_settings(session, workspace_id=sent.tenant.id)
    session.execute(update(WorkspaceTrackingSettings).where(WorkspaceTrackingSettings.workspace_id == sent.tenant.id)
                    .values(add_utm=False))
    session.commit()
    other = make_campaign(session, sent.tenant.id, html=HTML)  # a variant the cache has not seen
    sent.campaign_id, sent.variant_id = other.campaign_id, other.variant_ids[0]
    location = sent.client.get(path(sent.tracker().click(0)), follow_redirects=False).headers["location"]
    assert "utm_medium" not in location and "kmp=" in location and location.endswith("#deals")


@pytest.mark.parametrize(("index", "url"), [
    (2, "javascript:alert(1)"), (2, "//evil.example/"), (2, "data:text/html,hi"), (9, None), (-1, None), (3, None)])
def test_no_redirect_outside_the_message(session: Session, sent: Sent, index: int, url: str | None) -> None:
    answer = sent.client.get(path(sent.tracker().click(index, url)), follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers
    assert events(session, sent) == []


def test_forged_and_foreign_tokens_get_400_and_record_nothing(session: Session, sent: Sent) -> None:
    track = sent.tracker()
    good = path(track.click(0))
    body, signature = good.rsplit("/", 1)[1].split(".")
    for bad in (f"/c/{body}.{signature[:-3]}xyz", f"/c/{body}", "/c/garbage",
                "/c/" + track.open_url.rsplit("/", 1)[1],          # an open token used as a click token
                "/c/" + path(track.trap_url).rsplit("/", 1)[1]):
        answer = sent.client.get(bad, follow_redirects=False)
        assert answer.status_code == 400 and "location" not in answer.headers
    unsubscribe = sent.client.get(f"/c/{_unsubscribe_token(sent)}", follow_redirects=False)
    assert unsubscribe.status_code == 400
    assert events(session, sent) == []


def _unsubscribe_token(sent: Sent) -> str:
    from kempen.models import Channel
    from kempen.tracking.unsubscribe import unsubscribe_url

    return unsubscribe_url(workspace_id=sent.tenant.id, contact_id=sent.contact_id, channel=Channel.EMAIL,
                           campaign_id=sent.campaign_id, delivery_id=77).rsplit("/", 1)[1]


def test_an_expired_click_answers_410_with_the_link_and_records_nothing(
        session: Session, sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "tracking_token_days", 10)
    answer = sent.client.get(path(sent.tracker(age_seconds=11 * 86_400).click(0)), follow_redirects=False)
    assert answer.status_code == 410 and "location" not in answer.headers
    assert 'href="https://shop.example/sale?utm_source=newsletter#deals"' in answer.text
    opened = sent.client.get(path(sent.tracker(age_seconds=11 * 86_400).open_url))
    assert opened.status_code == 200 and opened.content == PIXEL
    assert events(session, sent) == []


def test_the_pixel_is_always_served_and_genuine_opens_are_recorded(session: Session, sent: Sent) -> None:
    track = sent.tracker()
    for url in (track.open_url, track.open_url[:-4] + "AAAA", "/o/garbage"):
        answer = sent.client.get(path(url), headers={"User-Agent": PERSON})
        assert answer.status_code == 200 and answer.content == PIXEL
        assert answer.headers["content-type"] == "image/gif" and "no-store" in answer.headers["cache-control"]
    sent.client.get(path(track.open_url), headers={"User-Agent": "Mozilla/5.0"})
    rows = events(session, sent)
    assert [(r.kind, r.machine, r.machine_reason) for r in rows] == [
        (TouchKind.OPEN, False, None), (TouchKind.OPEN, True, "apple_privacy_proxy")]


def test_machine_clicks_are_flagged(session: Session, sent: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    # The burst and honeypot windows are 2 s: widened here so that a slow, busy test machine taking
    # more than 2 s between two requests does not turn a burst into two separate clicks.
    monkeypatch.setattr(tracking_views, "_bursts", machine.BurstDetector(window=120.0))
    monkeypatch.setattr(tracking_views, "_BURST", timedelta(seconds=120))
    client = sent.client
    client.head(path(sent.tracker(delivery_id=1).click(0)), headers={"User-Agent": PERSON})
    client.get(path(sent.tracker(delivery_id=2, age_seconds=1).click(0)), headers={"User-Agent": PERSON},
               follow_redirects=False)
    client.get(path(sent.tracker(delivery_id=3).click(0)), headers={"User-Agent": "Barracuda Sentinel"},
               follow_redirects=False)
    # A person clicks one link of delivery 4; a scanner then follows both links of delivery 5 at once.
    client.get(path(sent.tracker(delivery_id=4).click(0)), headers={"User-Agent": PERSON}, follow_redirects=False)
    five = sent.tracker(delivery_id=5)
    client.get(path(five.click(0)), headers={"User-Agent": PERSON}, follow_redirects=False)
    client.get(path(five.click(1, "https://shop.example/p/Ann0")), headers={"User-Agent": PERSON},
               follow_redirects=False)
    # The honeypot link of delivery 6, after a click on a real link.
    six = sent.tracker(delivery_id=6)
    client.get(path(six.click(0)), headers={"User-Agent": PERSON}, follow_redirects=False)
    assert client.get(path(six.trap_url), headers={"User-Agent": PERSON}).status_code == 204
    flags: dict[int | None, list[str | None]] = {}
    for row in events(session, sent):
        flags.setdefault(row.delivery_id, []).append(row.machine_reason)
    assert flags == {1: ["head_request"], 2: ["clicked_right_after_send"], 3: ["scanner_user_agent"], 4: [None],
                     5: ["links_clicked_together"] * 2, 6: ["honeypot_link"] * 2}


def test_concurrent_clicks_are_all_recorded(session: Session, sent: Sent) -> None:
    urls = [path(sent.tracker(delivery_id=1000 + i).click(0)) for i in range(200)]
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda u: sent.client.get(u, headers={"User-Agent": PERSON},
                                                        follow_redirects=False).status_code, urls))
    assert codes == [302] * 200
    assert sorted(r.delivery_id or 0 for r in events(session, sent)) == list(range(1000, 1200))


def test_the_fast_path_answers_like_the_routes(session: Session, sent: Sent, db: object) -> None:
    from kempen.app import create_app
    from kempen.web.views.tracking import with_tracking_fast_path

    with TestClient(with_tracking_fast_path(create_app(background=False))) as fast:
        track = sent.tracker()
        answer = fast.get(path(track.click(0)), headers={"User-Agent": PERSON}, follow_redirects=False)
        routed = sent.client.get(path(track.click(0)), headers={"User-Agent": PERSON}, follow_redirects=False)
        assert answer.status_code == 302 and answer.headers["referrer-policy"] == "no-referrer"
        strip = (lambda url: url.split("kmp=")[0])  # noqa: E731 - the click id is signed afresh per click
        assert strip(answer.headers["location"]) == strip(routed.headers["location"])
        pixel = fast.get(path(track.open_url), headers={"User-Agent": PERSON})
        assert pixel.content == PIXEL and pixel.headers["content-type"] == "image/gif"
        assert fast.head(path(track.open_url)).content == b""
        assert fast.get("/c/garbage", follow_redirects=False).status_code == 400  # on to the routes' page
        assert fast.get(path(sent.tracker(age_seconds=10**9).click(0)), follow_redirects=False).status_code == 410
        assert fast.get("/c/a/b", follow_redirects=False).status_code == 404
    kinds = [(r.kind, r.user_agent) for r in events(session, sent)]
    assert kinds == [(TouchKind.CLICK, PERSON), (TouchKind.CLICK, PERSON), (TouchKind.OPEN, PERSON),
                     (TouchKind.OPEN, "testclient")]
