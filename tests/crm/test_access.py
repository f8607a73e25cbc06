"""Roles and workspace isolation across the CRM API."""

from __future__ import annotations

import pytest

from kempen.models import Role
from tests.conftest import Tenant
from tests.crm.conftest import API, make_contacts

WRITES = [
    ("post", "/companies", {"name": "X"}),
    ("post", "/tags", {"name": "x"}),
    ("post", "/lists", {"name": "x"}),
    ("post", "/suppressions", {"channel": "email", "address": "x@example.com"}),
    ("put", "/consents/batch", {"consents": [{"contact_id": 1, "channel": "email", "status": "granted"}]}),
]


@pytest.mark.parametrize(("role", "allowed"), [(Role.VIEWER, False), (Role.ANALYST, False), (Role.MARKETER, True)])
def test_viewers_read_and_only_marketers_write(tenant: Tenant, role: Role, allowed: bool) -> None:
    c = tenant.client
    for method, path, body in WRITES:
        response = c.request(method, f"{API}{path}", json=body, headers=tenant.headers(role))
        assert (response.status_code < 300) == allowed, (path, response.status_code, response.text)
        assert response.status_code != 403 if allowed else response.status_code == 403
    (contact,) = make_contacts(tenant, 1, prefix=f"role{role.value}")
    for method, path, body in [("put", f"/contacts/{contact}/consents/email", {"status": "granted"}),
                               ("post", f"/contacts/{contact}/unsubscribe", {}),
                               ("post", f"/contacts/{contact}/tags", {"names": ["t"]})]:
        response = c.request(method, f"{API}{path}", json=body, headers=tenant.headers(role))
        assert (response.status_code == 200) == allowed and (response.status_code == 403) != allowed
    for path in ("/companies", "/tags", "/lists", "/suppressions", "/custom-fields", f"/contacts/{contact}/consents"):
        assert c.get(f"{API}{path}", headers=tenant.headers(role)).status_code == 200, path


def test_tenant_a_cannot_see_or_touch_b(tenant: Tenant, other_tenant: Tenant) -> None:
    b = other_tenant
    company = b.client.post(f"{API}/companies", json={"name": "B Corp", "domain": "b.example"},
                            headers=b.headers()).json()
    b_list = b.client.post(f"{API}/lists", json={"name": "B list"}, headers=b.headers()).json()
    b.client.post(f"{API}/tags", json={"name": "b-tag"}, headers=b.headers())
    suppression = b.client.post(f"{API}/suppressions", json={"channel": "email", "address": "b@example.com"},
                                headers=b.headers()).json()
    (b_contact,) = make_contacts(b, 1, prefix="bcontact")

    c, h = tenant.client, tenant.headers()
    assert c.get(f"{API}/companies/{company['id']}", headers=h).status_code == 404
    assert c.patch(f"{API}/companies/{company['id']}", json={"name": "mine"}, headers=h).status_code == 404
    assert c.delete(f"{API}/companies/{company['id']}", headers=h).status_code == 404
    assert c.get(f"{API}/companies/{company['id']}/contacts", headers=h).status_code == 404
    assert c.get(f"{API}/companies", params={"q": "B Corp"}, headers=h).json()["items"] == []
    assert c.get(f"{API}/lists/{b_list['id']}", headers=h).status_code == 404
    assert c.get(f"{API}/lists/{b_list['id']}/members", headers=h).status_code == 404
    assert c.delete(f"{API}/lists/{b_list['id']}", headers=h).status_code == 404
    assert c.get(f"{API}/lists", headers=h).json() == []
    assert c.get(f"{API}/tags", headers=h).json() == []
    assert c.delete(f"{API}/tags/b-tag", headers=h).status_code == 404
    assert c.patch(f"{API}/tags/b-tag", json={"name": "stolen"}, headers=h).status_code == 404
    assert c.get(f"{API}/suppressions", headers=h).json()["items"] == []
    assert c.delete(f"{API}/suppressions/{suppression['id']}", headers=h).status_code == 404
    assert c.get(f"{API}/contacts/{b_contact}/consents", headers=h).status_code == 404
    assert c.put(f"{API}/contacts/{b_contact}/consents/email", json={"status": "granted"}, headers=h).status_code == 404
    assert c.post(f"{API}/contacts/{b_contact}/unsubscribe", headers=h).status_code == 404
    assert c.post(f"{API}/contacts/{b_contact}/tags", json={"names": ["x"]}, headers=h).status_code == 404
    assert c.put(f"{API}/contacts/{b_contact}/company", json={"company_id": None}, headers=h).status_code == 404

    # A cannot link its contact to B's company, nor put B's contacts on its own list or tag.
    (a_contact,) = make_contacts(tenant, 1, prefix="acontact")
    assert c.put(f"{API}/contacts/{a_contact}/company", json={"company_id": company["id"]},
                 headers=h).status_code == 404
    a_list = c.post(f"{API}/lists", json={"name": "A list"}, headers=h).json()
    added = c.post(f"{API}/lists/{a_list['id']}/members", json={"contact_ids": [b_contact, a_contact]}, headers=h)
    assert added.json() == {"changed": 1, "not_found": [b_contact]}
    members = c.get(f"{API}/lists/{a_list['id']}/members", headers=h).json()["items"]
    assert [m["id"] for m in members] == [a_contact]
    tagged = c.post(f"{API}/tags/a-tag/contacts", json={"contact_ids": [b_contact]}, headers=h)
    assert tagged.json() == {"changed": 0, "not_found": [b_contact]}
    batch = c.put(f"{API}/consents/batch", json={"consents": [
        {"contact_id": b_contact, "channel": "email", "status": "granted"},
        {"contact_email": "bcontact0@example.com", "channel": "email", "status": "granted"}]}, headers=h)
    assert batch.json()["rejected"] == 2

    # B's data is untouched.
    assert b.client.get(f"{API}/contacts/{b_contact}/consents", headers=b.headers()).json() == []
    assert b.client.get(f"{API}/contacts/{b_contact}", headers=b.headers()).json()["tags"] == []
    assert [t["name"] for t in b.client.get(f"{API}/tags", headers=b.headers()).json()] == ["b-tag"]


def test_out_of_range_input_is_422_not_500(tenant: Tenant) -> None:
    c, h = tenant.client, tenant.headers()
    huge = 10**20
    list_id = c.post(f"{API}/lists", json={"name": "Range"}, headers=h).json()["id"]
    too_far = "eyJpZCI6MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDB9"  # a well-formed cursor with id 10**20
    for method, path, body in [
        ("post", f"/lists/{list_id}/members", {"contact_ids": [huge]}),
        ("get", f"/companies/{huge}", None),
        ("get", f"/contacts/{huge}/consents", None),
        ("put", f"/contacts/{huge}/company", {"company_id": None}),
        ("put", "/consents/batch", {"consents": [{"contact_id": huge, "channel": "email", "status": "granted"}]}),
        ("post", f"/tags/{'x' * 121}/contacts", {"contact_ids": [1]}),
        ("get", f"/companies?cursor={too_far}", None),
        ("get", f"/suppressions?cursor={too_far}", None),
    ]:
        response = c.request(method, f"{API}{path}", json=body, headers=h)
        if path == "/consents/batch":
            assert response.status_code == 200 and response.json()["rejected"] == 1
        else:
            assert response.status_code == 422, (path, response.status_code)
