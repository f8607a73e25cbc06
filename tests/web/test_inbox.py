"""The inbox of the built-in mail sink: the list (newest first, load more, clear), a message with its key
headers, the HTML part in a sandboxed frame, the text part and the raw .eml; roles, CSRF and tenancy."""

from __future__ import annotations

import html
import re
import smtplib
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.config import get_settings
from kempen.mailsink.server import start_mail_sink
from kempen.models import Role, SinkMessage
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD, LoggedIn, login

HTMX = {"HX-Request": "true"}


def raw_email(workspace_id: int, *, to: str = "nadia@example.com", subject: str = "Spring picks",
              html_part: str = "<p>Hello <b>Nadia</b></p><script>alert(1)</script>", dkim: bool = True) -> bytes:
    message = EmailMessage()
    message["From"] = "Kempen Demo <demo@kempen.example>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 23 Nov 2026 09:30:00 +0000"
    message["Message-ID"] = f"<{unique('m')}@kempen.example>"
    message["List-Unsubscribe"] = "<https://kempen.example/u/token>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["X-Kempen-Workspace"] = str(workspace_id)
    if dkim:
        message["DKIM-Signature"] = "v=1; a=rsa-sha256; d=kempen.example; s=mail; b=abc"
    message.set_content("Hello Nadia, plain text.")
    message.add_alternative(html_part, subtype="html")
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as on the wire


def catch(session: Session, workspace_id: int, **kwargs: Any) -> SinkMessage:
    """Store a message as the sink stores what it receives."""
    raw = raw_email(workspace_id, **kwargs)
    row = SinkMessage(workspace_id=workspace_id, mail_from="demo@kempen.example",
                      recipients=[kwargs.get("to", "nadia@example.com")], subject=kwargs.get("subject", "Spring picks"),
                      size=len(raw), raw=raw)
    session.add(row)
    session.commit()
    return row


def post(user: LoggedIn, url: str, **form: str) -> Any:
    return user.client.post(url, data={"csrf_token": user.csrf, **form}, follow_redirects=False)


def test_the_inbox_requires_login(tenant: Tenant, session: Session) -> None:
    message = catch(session, tenant.id)
    for path in ("/inbox", f"/inbox/{message.id}", f"/inbox/{message.id}/raw"):
        response = tenant.client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/inbox")


def test_the_list_shows_messages_newest_first_and_loads_more(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    empty = logged_in.client.get("/inbox")
    assert empty.status_code == 200 and "The inbox is empty" in empty.text
    assert 'aria-current="page">Inbox' in empty.text
    for n in range(52):
        catch(session, ws, to=f"person{n}@example.com", subject=f"Message {n}")
    page = logged_in.client.get("/inbox").text
    subjects = re.findall(r'class="row-link" href="/inbox/\d+">([^<]+)<', page)
    assert subjects[:2] == ["Message 51", "Message 50"] and len(subjects) == 50
    more = re.search(r'hx-get="(/inbox/rows\?cursor=[^"]+)"', page)
    assert more is not None
    rows = logged_in.client.get(html.unescape(more.group(1)), headers=HTMX).text
    assert re.findall(r'class="row-link" href="/inbox/\d+">([^<]+)<', rows) == ["Message 1", "Message 0"]
    assert "load-more-row" not in rows and "person0@example.com" in rows
    assert "no longer valid" in logged_in.client.get("/inbox?cursor=@@").text


def test_a_message_shows_headers_parts_a_sandboxed_frame_and_the_raw_eml(logged_in: LoggedIn, session: Session) -> None:
    message = catch(session, logged_in.tenant.id)
    response = logged_in.client.get(f"/inbox/{message.id}")
    assert response.status_code == 200
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]
    page = response.text
    assert 'id="message-subject">Spring picks<' in page and "nadia@example.com" in page
    assert "Kempen Demo &lt;demo@kempen.example&gt;" in page
    headers = page.split('id="key-headers"')[1].split("</dl>")[0]
    assert "List-Unsubscribe-Post" in headers and "List-Unsubscribe=One-Click" in headers
    assert "&lt;https://kempen.example/u/token&gt;" in headers and "@kempen.example&gt;" in headers
    assert "present · d=kempen.example s=mail" in headers
    frame = re.search(r'<iframe id="message-html"[^>]*>', page)
    assert frame is not None and 'sandbox=""' in frame.group()
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame.group()).group(1))  # type: ignore[union-attr]
    assert "<b>Nadia</b>" in srcdoc and "<script>" in srcdoc  # shown as sent; the sandbox keeps it from running
    assert "<script>alert(1)</script>" not in page  # never as markup of the page itself
    assert 'id="message-text">Hello Nadia, plain text.' in page
    assert f'href="/inbox/{message.id}/raw"' in page
    raw = logged_in.client.get(f"/inbox/{message.id}/raw")
    assert raw.status_code == 200 and raw.content == message.raw
    assert raw.headers["content-type"].startswith("message/rfc822")
    assert raw.headers["content-disposition"] == f'attachment; filename="message-{message.id}.eml"'
    unsigned = catch(session, logged_in.tenant.id, dkim=False)
    assert "not present" in logged_in.client.get(f"/inbox/{unsigned.id}").text.split('id="key-headers"')[1]


def test_clearing_needs_csrf_and_the_marketer_role(tenant: Tenant, session: Session) -> None:
    catch(session, tenant.id)
    catch(session, tenant.id)
    email = f"{unique('viewer-')}@example.com"
    viewer = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=viewer.id, role=Role.VIEWER)
    session.commit()
    viewer_browser = TestClient(tenant.client.app)
    assert login(viewer_browser, email).status_code == 303
    as_viewer = LoggedIn(tenant=tenant, client=viewer_browser)
    page = as_viewer.client.get("/inbox").text
    assert "Spring picks" in page and "Clear inbox" not in page
    assert post(as_viewer, "/inbox/clear").status_code == 403
    assert login(tenant.client, f"{tenant.workspace.slug}@example.com").status_code == 303
    owner = LoggedIn(tenant=tenant, client=tenant.client)
    assert "Clear inbox" in owner.client.get("/inbox").text
    assert owner.client.post("/inbox/clear", follow_redirects=False).status_code == 403  # no token
    cleared = post(owner, "/inbox/clear")
    assert cleared.status_code == 303 and cleared.headers["location"] == "/inbox?cleared=2"
    after = owner.client.get(cleared.headers["location"]).text
    assert "Deleted 2 messages." in after and "The inbox is empty" in after


def test_another_workspaces_mail_is_not_shown(logged_in: LoggedIn, other_tenant: Tenant, session: Session) -> None:
    theirs = catch(session, other_tenant.id, subject="Their secret")
    catch(session, logged_in.tenant.id, subject="Ours")
    page = logged_in.client.get("/inbox").text
    assert "Ours" in page and "Their secret" not in page
    assert logged_in.client.get(f"/inbox/{theirs.id}").status_code == 404
    assert logged_in.client.get(f"/inbox/{theirs.id}/raw").status_code == 404
    assert "<strong>1</strong> new message arrived" in logged_in.client.get("/inbox/new?after=0", headers=HTMX).text
    assert post(logged_in, "/inbox/clear").status_code == 303
    kept = session.scalar(select(func.count()).select_from(SinkMessage).where(
        SinkMessage.workspace_id == other_tenant.id))
    assert kept == 1


def test_mail_sent_to_the_sink_shows_up(logged_in: LoggedIn, session: Session) -> None:
    sink = start_mail_sink(host="127.0.0.1", port=0)
    try:
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            smtp.sendmail("demo@kempen.example", ["sam@example.com"],
                          raw_email(logged_in.tenant.id, to="sam@example.com", subject="Through SMTP"))
    finally:
        sink.stop()
    page = logged_in.client.get("/inbox").text
    assert "Through SMTP" in page and "sam@example.com" in page


def test_new_mail_is_announced_while_the_inbox_is_open(logged_in: LoggedIn, session: Session) -> None:
    empty = logged_in.client.get("/inbox").text
    assert 'hx-get="/inbox/new?after=0" hx-trigger="every 3s"' in empty
    first = catch(session, logged_in.tenant.id)
    page = logged_in.client.get("/inbox").text
    assert f'hx-get="/inbox/new?after={first.id}"' in page and "arrived" not in page
    quiet = logged_in.client.get(f"/inbox/new?after={first.id}", headers=HTMX).text
    assert "arrived" not in quiet and 'hx-trigger="every 3s"' in quiet
    catch(session, logged_in.tenant.id)
    catch(session, logged_in.tenant.id)
    news = logged_in.client.get(f"/inbox/new?after={first.id}", headers=HTMX).text
    assert "<strong>2</strong> new messages arrived." in news and f"after={first.id}" in news


def test_the_inbox_says_when_mail_goes_to_a_real_server(logged_in: LoggedIn, monkeypatch: pytest.MonkeyPatch) -> None:
    assert 'id="sink-off"' not in logged_in.client.get("/inbox").text
    monkeypatch.setenv("KEMPEN_SMTP_URL", "smtp://mail.example.com:587")
    get_settings.cache_clear()
    try:
        assert "KEMPEN_SMTP_URL" in logged_in.client.get("/inbox").text.split('id="sink-off"')[1]
    finally:
        monkeypatch.delenv("KEMPEN_SMTP_URL")
        get_settings.cache_clear()
