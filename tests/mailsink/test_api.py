"""The inbox service and API: workspace-scoped pages, parsed messages, raw downloads, clearing, roles."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.channels.email.message import build_message
from kempen.kit.clock import utcnow
from kempen.mailsink.server import _Caught, store
from kempen.mailsink.service import list_messages, parse_message
from kempen.models import Role
from tests.channels.factories import payload
from tests.conftest import Tenant

API = "/api/v1/mailsink/messages"


def catch(tenant: Tenant, count: int, *, subject: str = "Hello") -> list[bytes]:
    raws = [build_message(payload(subject=f"{subject} {i}", message_id=f"<{i}.{tenant.id}@acme.example>",
                                  headers=(("X-Kempen-Workspace", str(tenant.id)),)), f"c{i}@example.com")
            for i in range(count)]
    store([_Caught("news@acme.example", [f"c{i}@example.com"], raw, utcnow()) for i, raw in enumerate(raws)],
          prune=False)
    return raws


def test_pages_newest_first_and_scoped(db: object, session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    catch(tenant, 5)
    catch(other_tenant, 2)
    first, cursor = list_messages(session, workspace_id=tenant.id, limit=3)
    rest, end = list_messages(session, workspace_id=tenant.id, cursor=cursor, limit=3)
    assert [m.subject for m in first + rest] == [f"Hello {i}" for i in range(4, -1, -1)]
    assert end is None
    response = tenant.client.get(API, params={"limit": 2}, headers=tenant.headers(Role.MARKETER))
    assert response.status_code == 200
    body = response.json()
    assert [m["subject"] for m in body["items"]] == ["Hello 4", "Hello 3"] and body["next_cursor"]
    assert body["items"][0]["recipients"] == ["c4@example.com"]
    assert body["items"][0]["message_id_header"] == f"<4.{tenant.id}@acme.example>"


def test_detail_and_raw(db: object, tenant: Tenant, other_tenant: Tenant) -> None:
    raw = catch(tenant, 1, subject="Grüße")[0]
    listed = tenant.client.get(API, headers=tenant.headers(Role.MARKETER)).json()["items"][0]
    detail = tenant.client.get(f"{API}/{listed['id']}", headers=tenant.headers(Role.MARKETER))
    assert detail.status_code == 200
    data = detail.json()
    assert data["subject"] == "Grüße 0" and data["from"] == "Acme Shop <news@acme.example>"
    assert data["to"] == "c0@example.com"
    assert data["text"] == "Hello Jane\r\n" and data["html"] == "<p>Hello Jane</p>\r\n"
    names = [h["name"] for h in data["headers"]]
    assert names[:3] == ["Date", "From", "To"] and "List-Unsubscribe-Post" in names
    downloaded = tenant.client.get(f"{API}/{listed['id']}/raw", headers=tenant.headers(Role.MARKETER))
    assert downloaded.status_code == 200 and downloaded.content == raw
    assert downloaded.headers["content-type"] == "message/rfc822"
    for path in (f"{API}/{listed['id']}", f"{API}/{listed['id']}/raw"):
        other = other_tenant.client.get(path, headers=other_tenant.headers(Role.ADMIN))
        assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"


def test_clear_only_empties_the_own_inbox(db: object, tenant: Tenant, other_tenant: Tenant) -> None:
    catch(tenant, 3)
    catch(other_tenant, 2)
    response = tenant.client.delete(API, headers=tenant.headers(Role.MARKETER))
    assert response.status_code == 200 and response.json() == {"deleted": 3}
    assert tenant.client.get(API, headers=tenant.headers(Role.MARKETER)).json()["items"] == []
    assert len(other_tenant.client.get(API, headers=other_tenant.headers(Role.MARKETER)).json()["items"]) == 2


def test_roles_and_bad_input(db: object, tenant: Tenant) -> None:
    for method, path in (("get", API), ("get", f"{API}/1"), ("get", f"{API}/1/raw"), ("delete", API)):
        assert getattr(tenant.client, method)(path, headers=tenant.headers(Role.ANALYST)).status_code == 403
        assert getattr(tenant.client, method)(path).status_code == 401
    assert tenant.client.get(API, params={"cursor": "nonsense"},
                             headers=tenant.headers(Role.MARKETER)).status_code == 422
    assert tenant.client.get(f"{API}/0", headers=tenant.headers(Role.MARKETER)).status_code == 422


def test_parse_message_survives_odd_mail() -> None:
    odd = (b"Subject: =?unknown-charset?q?x?=\r\nFrom: broken <<>>\r\nContent-Type: text/plain; charset=x-nope\r\n"
           b"\r\nbody \xff\r\n")
    parsed = parse_message(odd)
    assert parsed.text is not None and "body" in parsed.text
    assert parsed.html is None
    assert [name for name, _ in parsed.headers] == ["Subject", "From", "Content-Type"]
