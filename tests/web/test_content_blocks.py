"""The content blocks pages: what each role sees and may change, forms re-rendered with problems, CSRF."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.brand import blocks
from kempen.kit.errors import NotFound
from kempen.models import Role
from tests.conftest import Tenant
from tests.delivery.conftest import make_campaign
from tests.web.test_campaign_pages import as_role, post

HTML = "<p>Spring sale for {{ first_name }}</p>"


def test_marketer_creates_edits_and_deletes_a_block(session: Session, tenant: Tenant) -> None:
    marketer = as_role(tenant, session, Role.MARKETER)
    page = marketer.client.get("/content-blocks")
    assert page.status_code == 200 and 'id="block-form"' in page.text and 'href="/content-blocks"' in page.text
    created = post(marketer, "/content-blocks", key="spring", name="Spring", html=HTML, text="Spring sale")
    assert created.status_code == 303 and created.headers["location"] == "/content-blocks/spring?saved=1"
    shown = marketer.client.get("/content-blocks/spring").text
    assert "Spring sale for Alex" in shown and "&lt;p&gt;Spring sale for {{ first_name }}&lt;/p&gt;" in shown
    bad = post(marketer, "/content-blocks/spring", name="Spring", html="<p>\n{{ x | nope }}</p>", text="s")
    assert bad.status_code == 422 and "html, line 2: unknown filter" in bad.text and "{{ x | nope }}" in bad.text
    assert post(marketer, "/content-blocks/spring", name="Spring 2", html=HTML, text="s").status_code == 303
    assert blocks.get_block_or_raise(session, workspace_id=tenant.id, key="spring").version == 2
    unconfirmed = post(marketer, "/content-blocks/spring/delete")
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    used = make_campaign(session, tenant.id, html='<p>{% content "spring" %}</p>')
    listed = marketer.client.get("/content-blocks").text
    assert "1 campaign<" in listed
    assert f'href="/campaigns/{used.campaign_id}"' in marketer.client.get("/content-blocks/spring").text
    refused = post(marketer, "/content-blocks/spring/delete", confirm="yes")
    assert refused.status_code == 409 and "not launched yet" in refused.text


def test_create_problems_keep_the_form(session: Session, tenant: Tenant) -> None:
    marketer = as_role(tenant, session, Role.MARKETER)
    assert post(marketer, "/content-blocks", key="dup", name="Dup", html=HTML).status_code == 303
    taken = post(marketer, "/content-blocks", key="dup", name="Again", html="<p>kept</p>")
    assert taken.status_code == 409 and "already exists" in taken.text and "&lt;p&gt;kept&lt;/p&gt;" in taken.text
    bad_key = post(marketer, "/content-blocks", key="Bad Key", name="x", html=HTML)
    assert bad_key.status_code == 422 and "Not saved: key:" in bad_key.text
    unknown = post(marketer, "/content-blocks", key="outer", name="x", html='{% content "nowhere" %}')
    assert unknown.status_code == 422 and "unknown content block &#39;nowhere&#39;" in unknown.text
    assert post(marketer, "/content-blocks/dup/delete", confirm="yes").status_code == 303
    try:
        blocks.get_block_or_raise(session, workspace_id=tenant.id, key="dup")
        raise AssertionError("not deleted")
    except NotFound:
        pass


def test_viewers_read_but_cannot_change(session: Session, tenant: Tenant) -> None:
    marketer = as_role(tenant, session, Role.MARKETER, own_client=True)
    assert post(marketer, "/content-blocks", key="sig", name="Signature", html=HTML).status_code == 303
    for role in (Role.VIEWER, Role.ANALYST):
        reader = as_role(tenant, session, role, own_client=True)
        assert 'id="block-form"' not in reader.client.get("/content-blocks").text
        page = reader.client.get("/content-blocks/sig")
        assert page.status_code == 200 and 'id="delete-form"' not in page.text and "Spring sale for Alex" in page.text
        assert post(reader, "/content-blocks", key="x", name="x", html=HTML).status_code == 403
        assert post(reader, "/content-blocks/sig", name="x", html=HTML).status_code == 403
        assert post(reader, "/content-blocks/sig/delete", confirm="yes").status_code == 403
    assert blocks.get_block_or_raise(session, workspace_id=tenant.id, key="sig").name == "Signature"


def test_csrf_and_other_workspaces(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    marketer = as_role(tenant, session, Role.MARKETER, own_client=True)
    no_token = marketer.client.post("/content-blocks", data={"key": "x", "name": "x", "html": HTML},
                                    follow_redirects=False)
    assert no_token.status_code == 403
    assert post(marketer, "/content-blocks", key="mine", name="Mine", html=HTML).status_code == 303
    stranger = as_role(other_tenant, session, Role.ADMIN, own_client=True)
    assert stranger.client.get("/content-blocks/mine").status_code == 404
    assert post(stranger, "/content-blocks/mine", name="x", html=HTML).status_code == 404
    assert post(stranger, "/content-blocks/mine/delete", confirm="yes").status_code == 404
