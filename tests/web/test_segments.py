"""The segments pages: list, editor, the live check partial, saving with CSRF, deleting, and tenancy."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.crm import consents, suppressions
from kempen.crm.schemas import SuppressionCreate
from kempen.models import Channel, ConsentStatus, Role, Segment
from kempen.segments import schemas
from kempen.segments import service as segments
from tests.conftest import Tenant, unique
from tests.web.conftest import PASSWORD, LoggedIn, login, make_contact, owner_email

HTMX = {"HX-Request": "true"}


def check(logged_in: LoggedIn, **form: str) -> str:
    """Post to the live check as the editor does (HTMX, CSRF header) and return the partial."""
    response = logged_in.client.post("/segments/validate", data=form,
                                     headers={**HTMX, "X-CSRF-Token": logged_in.csrf})
    assert response.status_code == 200, response.text
    assert "<html" not in response.text
    return response.text


def result_data(partial: str) -> dict[str, Any]:
    """The data-* attributes the builder script reads from the check partial."""
    tag = re.search(r'<div id="rule-check-result"[^>]*>', partial)
    assert tag is not None
    attrs = dict(re.findall(r'data-([a-z]+)=(?:"([^"]*)"|\'[^\']*\')', tag.group()))
    raw = dict(re.findall(r"data-([a-z]+)='([^']*)'", tag.group()))
    return {"state": attrs["state"], "source": attrs["source"], "text": html.unescape(attrs["text"]),
            "rule": json.loads(html.unescape(raw["rule"])), "opaque": json.loads(html.unescape(raw["opaque"])),
            "errors": json.loads(html.unescape(raw["errors"]))}


def save(logged_in: LoggedIn, url: str = "/segments", **form: str) -> Any:
    return logged_in.client.post(url, data={"csrf_token": logged_in.csrf, **form}, follow_redirects=False)


def make_segment(session: Session, workspace_id: int, name: str, text: str) -> Segment:
    segment = segments.create_segment(session, workspace_id=workspace_id, actor="test",
                                      data=schemas.SegmentCreate(name=name, text=text))
    session.commit()
    return segment


def test_pages_require_login(tenant: Tenant, session: Session) -> None:
    segment = make_segment(session, tenant.id, "Malaysia", 'country = "MY"')
    client: TestClient = tenant.client
    for path in ("/segments", "/segments/new", f"/segments/{segment.id}", f"/segments/{segment.id}/count"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/segments"), path
    partial = client.post("/segments/validate", data={"text": "x"}, headers={**HTMX, "HX-Current-URL":
                                                                             "http://testserver/segments/new"})
    assert partial.status_code == 401 and partial.headers["HX-Redirect"] == "/login?next=/segments/new"


def test_the_list_shows_segments_with_a_lazy_count(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    assert "No segments yet" in logged_in.client.get("/segments").text
    make_contact(session, ws, email="a@example.com", country="MY")
    make_contact(session, ws, email="b@example.com", country="MY")
    segment = make_segment(session, ws, "Malaysia", 'country = "MY"')
    page = logged_in.client.get("/segments")
    assert page.status_code == 200 and 'aria-current="page">Segments' in page.text
    assert f'href="/segments/{segment.id}">Malaysia</a>' in page.text
    assert "country = &#34;MY&#34;" in page.text and f'hx-get="/segments/{segment.id}/count"' in page.text
    assert 'href="/segments/new"' in page.text
    count = logged_in.client.get(f"/segments/{segment.id}/count", headers=HTMX)
    assert count.status_code == 200 and count.text.strip() == "2"


def test_the_check_shows_line_and_column_of_a_broken_rule(logged_in: LoggedIn) -> None:
    partial = check(logged_in, text='country = "MY"\nand countree = "SG"', source="text")
    data = result_data(partial)
    assert data["state"] == "invalid" and data["source"] == "text"
    assert "Line 2, column 5:" in partial
    assert "<mark>countree</mark>" in partial
    assert re.search(r'<span class="rule-caret"[^>]*>\s{4}\^{8}</span>', partial)
    assert "Fix the rule to see who matches" in partial  # the preview says why it has no count
    unclosed = check(logged_in, text='country = "MY', source="text")
    assert "Line 1, column 11:" in unclosed and "not closed" in unclosed


def test_the_check_shows_count_reach_and_sample_of_a_valid_rule(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    alice = make_contact(session, ws, email="alice@example.com", first_name="Alice", country="MY")
    bob = make_contact(session, ws, email="bob@example.com", first_name="Bob", country="MY")
    make_contact(session, ws, email="carol@example.com", first_name="Carol", country="SG")
    for contact in (alice, bob):
        consents.set_consent(session, workspace_id=ws, actor="test", contact_id=contact.id, channel=Channel.EMAIL,
                             status=ConsentStatus.GRANTED)
    suppressions.add_suppression(session, workspace_id=ws, actor="test",
                                 data=SuppressionCreate(channel=Channel.EMAIL, address="bob@example.com"))
    session.commit()
    partial = check(logged_in, text='country="MY"', source="text")
    data = result_data(partial)
    assert data["state"] == "valid" and data["text"] == 'country = "MY"'
    assert data["rule"] == {"type": "compare", "field": "country", "op": "=", "value": "MY"}
    assert '<span id="segment-count" class="preview-number">2</span>' in partial
    assert 'hx-swap-oob="true"' in partial  # the preview beside the editor is swapped out of band
    assert re.search(r'data-channel="email">1<', partial)  # Bob is suppressed
    assert re.search(r'data-channel="sms">0<', partial)
    assert f'href="/contacts/{alice.id}">Alice</a>' in partial and "Carol" not in partial
    empty = result_data(check(logged_in, text="   ", source="text"))
    assert empty["state"] == "empty"


def test_the_builder_posts_json_and_gets_the_canonical_text(logged_in: LoggedIn) -> None:
    rule = {"type": "and", "rules": [{"type": "compare", "field": "country", "op": "=", "value": "SG"},
                                     {"type": "tag", "name": "vip"}]}
    data = result_data(check(logged_in, rule_json=json.dumps(rule), source="builder"))
    assert data["state"] == "valid" and data["source"] == "builder"
    assert data["text"] == 'country = "SG" and tag "vip"'
    bad = {"type": "compare", "field": "lead_score", "op": ">", "value": "high"}
    failed = check(logged_in, rule_json=json.dumps(bad), source="builder")
    data = result_data(failed)
    assert data["state"] == "invalid" and data["errors"] and data["errors"][0] is not None
    assert "Line " not in failed  # a JSON rule has no lines; the error is placed by path
    assert result_data(check(logged_in, rule_json="null", source="builder"))["state"] == "empty"


def test_nodes_the_builder_cannot_edit_come_with_their_text(logged_in: LoggedIn) -> None:
    text = 'tag "vip" and orders.count(where category = "shoes") > 0'
    data = result_data(check(logged_in, text=text, source="text"))
    assert data["state"] == "valid"
    assert data["opaque"] == {"rules.1": 'orders.count(where category = "shoes") > 0'}


def test_create_needs_the_csrf_token_and_lands_in_the_list(logged_in: LoggedIn, session: Session) -> None:
    make_contact(session, logged_in.tenant.id, email="a@example.com", country="MY")
    form = {"name": "Malaysians", "description": "Everyone in MY", "text": 'country = "MY"'}
    refused = logged_in.client.post("/segments", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "This form has expired" in refused.text
    response = save(logged_in, **form)
    assert response.status_code == 303
    segment = segments.list_segments(session, workspace_id=logged_in.tenant.id)[0]
    assert response.headers["location"] == f"/segments?saved={segment.id}"
    assert (segment.name, segment.description, segment.rule_text) == ("Malaysians", "Everyone in MY", 'country = "MY"')
    listed = logged_in.client.get(response.headers["location"]).text
    assert "Saved “Malaysians”." in listed and "Everyone in MY" in listed
    editor = logged_in.client.get(f"/segments/{segment.id}").text
    assert 'value="Malaysians"' in editor and 'id="segment-count" class="preview-number">1<' in editor
    assert '"rule": {"field": "country"' in editor or '"field": "country"' in editor


def test_the_builder_json_is_saved_when_newer_than_the_text(logged_in: LoggedIn, session: Session) -> None:
    rule = {"type": "compare", "field": "country", "op": "=", "value": "SG"}
    response = save(logged_in, name="Singapore", text='country = "MY"', rule_json=json.dumps(rule))
    assert response.status_code == 303
    segment = segments.list_segments(session, workspace_id=logged_in.tenant.id)[0]
    assert segment.rule == rule and segment.rule_text == 'country = "SG"'


def test_save_errors_are_shown_with_what_was_typed(logged_in: LoggedIn, session: Session) -> None:
    make_segment(session, logged_in.tenant.id, "Taken", 'country = "MY"')
    duplicate = save(logged_in, name="Taken", text='country = "SG"')
    assert duplicate.status_code == 409
    assert 'aria-invalid="true"' in duplicate.text and "already exists" in duplicate.text
    assert 'country = "SG"</textarea>' in html.unescape(duplicate.text)
    broken = save(logged_in, name="Broken", text='countree = "SG"')
    assert broken.status_code == 422 and "Not saved." in broken.text and "<mark>countree</mark>" in broken.text
    nameless = save(logged_in, name="  ", text='country = "SG"')
    assert nameless.status_code == 422 and 'aria-invalid="true"' in nameless.text
    assert [s.name for s in segments.list_segments(session, workspace_id=logged_in.tenant.id)] == ["Taken"]


def test_a_cycle_between_segments_is_refused(logged_in: LoggedIn, session: Session) -> None:
    first = make_segment(session, logged_in.tenant.id, "first", 'country = "MY"')
    make_segment(session, logged_in.tenant.id, "second", 'in_segment "first"')
    response = save(logged_in, f"/segments/{first.id}", name="first", text='in_segment "second"')
    assert response.status_code == 422
    assert "Not saved." in response.text and "first → second → first" in response.text
    session.expire_all()
    assert segments.get_segment(session, workspace_id=logged_in.tenant.id, segment_id=first.id).rule_text == \
        'country = "MY"'


def test_update_and_delete(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    segment = make_segment(session, ws, "Old name", 'country = "MY"')
    response = save(logged_in, f"/segments/{segment.id}", name="New name", description="", text='country = "SG"')
    assert response.status_code == 303 and response.headers["location"] == f"/segments?saved={segment.id}"
    session.expire_all()
    saved = segments.get_segment(session, workspace_id=ws, segment_id=segment.id)
    assert (saved.name, saved.rule_text) == ("New name", 'country = "SG"')
    make_segment(session, ws, "Uses it", 'in_segment "New name"')
    refused = save(logged_in, f"/segments/{segment.id}/delete")
    assert refused.status_code == 409 and "refer" in refused.text
    assert logged_in.client.post(f"/segments/{segment.id}/delete", follow_redirects=False).status_code == 403
    other = make_segment(session, ws, "Lonely", "tag \"x\"")
    deleted = save(logged_in, f"/segments/{other.id}/delete")
    assert deleted.status_code == 303 and deleted.headers["location"] == "/segments?deleted=1"
    assert "The segment was deleted." in logged_in.client.get("/segments?deleted=1").text
    assert "Lonely" not in logged_in.client.get("/segments").text


def test_another_workspaces_segment_is_not_found(logged_in: LoggedIn, other_tenant: Tenant,
                                                 session: Session) -> None:
    theirs = make_segment(session, other_tenant.id, "Theirs", 'country = "DE"')
    assert logged_in.client.get(f"/segments/{theirs.id}").status_code == 404
    assert logged_in.client.get(f"/segments/{theirs.id}/count", headers=HTMX).status_code == 404
    assert save(logged_in, f"/segments/{theirs.id}", name="Mine now", text='country = "MY"').status_code == 404
    assert save(logged_in, f"/segments/{theirs.id}/delete").status_code == 404
    assert "Theirs" not in logged_in.client.get("/segments").text
    assert "Theirs" not in logged_in.client.get("/segments/new").text  # not offered to in_segment either
    session.expire_all()
    kept = segments.get_segment(session, workspace_id=other_tenant.id, segment_id=theirs.id)
    assert (kept.name, kept.rule_text) == ("Theirs", 'country = "DE"')
    theirs_ref = check(logged_in, text='in_segment "Theirs"', source="text")
    assert result_data(theirs_ref)["state"] == "invalid"


def test_a_viewer_can_try_rules_but_not_save(tenant: Tenant, session: Session) -> None:
    email = f"{unique('viewer-')}@example.com"
    viewer = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=tenant.id, user_id=viewer.id, role=Role.VIEWER)
    session.commit()
    assert login(tenant.client, email).status_code == 303
    user = LoggedIn(tenant=tenant, client=tenant.client)
    editor = user.client.get("/segments/new").text
    assert "saving segments needs the marketer role" in editor and 'id="save-segment"' not in editor
    assert result_data(check(user, text='country = "MY"', source="text"))["state"] == "valid"
    refused = save(user, name="Nope", text='country = "MY"')
    assert refused.status_code == 403
    assert segments.list_segments(session, workspace_id=tenant.id) == []
    assert login(tenant.client, owner_email(tenant)).status_code == 303
