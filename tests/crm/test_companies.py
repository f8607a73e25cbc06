"""Companies: CRUD, search, unique domains, linking contacts."""

from __future__ import annotations

from kempen.models import Role
from tests.conftest import Tenant
from tests.crm.conftest import API, make_contacts


def test_company_crud_and_domain_normalisation(tenant: Tenant) -> None:
    c = tenant.client
    created = c.post(f"{API}/companies", json={"name": "Acme", "domain": "https://www.Acme.com/about",
                                              "country": "my"}, headers=tenant.headers(Role.MARKETER))
    assert created.status_code == 201, created.text
    company = created.json()
    assert (company["domain"], company["country"]) == ("acme.com", "MY")
    got = c.get(f"{API}/companies/{company['id']}", headers=tenant.headers(Role.VIEWER))
    assert got.status_code == 200 and got.json()["name"] == "Acme"
    patched = c.patch(f"{API}/companies/{company['id']}", json={"industry": "Anvils"}, headers=tenant.headers())
    assert patched.status_code == 200 and patched.json()["industry"] == "Anvils"
    assert patched.json()["domain"] == "acme.com"
    assert c.delete(f"{API}/companies/{company['id']}", headers=tenant.headers()).status_code == 204
    assert c.get(f"{API}/companies/{company['id']}", headers=tenant.headers()).status_code == 404


def test_domain_is_unique_per_workspace(tenant: Tenant, other_tenant: Tenant) -> None:
    c = tenant.client
    first = c.post(f"{API}/companies", json={"name": "One", "domain": "one.example"}, headers=tenant.headers())
    assert first.status_code == 201
    clash = c.post(f"{API}/companies", json={"name": "Two", "domain": "ONE.example"}, headers=tenant.headers())
    assert clash.status_code == 409 and clash.headers["content-type"] == "application/problem+json"
    second = c.post(f"{API}/companies", json={"name": "Two", "domain": "two.example"}, headers=tenant.headers())
    moved = c.patch(f"{API}/companies/{second.json()['id']}", json={"domain": "one.example"},
                    headers=tenant.headers())
    assert moved.status_code == 409
    elsewhere = c.post(f"{API}/companies", json={"name": "One", "domain": "one.example"},
                       headers=other_tenant.headers())
    assert elsewhere.status_code == 201


def test_invalid_company_input_is_422(tenant: Tenant) -> None:
    for body in ({"name": ""}, {"name": "X", "domain": "not a domain"}, {"name": "X", "country": "ZZ"},
                 {"name": "X", "unknown": 1}):
        response = tenant.client.post(f"{API}/companies", json=body, headers=tenant.headers())
        assert response.status_code == 422, body


def test_search_and_cursor_pagination(tenant: Tenant) -> None:
    c = tenant.client
    for i in range(7):
        c.post(f"{API}/companies", json={"name": f"Widget Co {i}", "domain": f"widget{i}.example"},
               headers=tenant.headers())
    c.post(f"{API}/companies", json={"name": "Other", "domain": "zzz.example"}, headers=tenant.headers())
    by_name = c.get(f"{API}/companies", params={"q": "widget co"}, headers=tenant.headers()).json()
    assert len(by_name["items"]) == 7
    by_domain = c.get(f"{API}/companies", params={"q": "zzz"}, headers=tenant.headers()).json()
    assert [co["name"] for co in by_domain["items"]] == ["Other"]
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = c.get(f"{API}/companies", params=params, headers=tenant.headers()).json()
        seen += [co["id"] for co in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 8 == len(set(seen)) and seen == sorted(seen, reverse=True)
    assert c.get(f"{API}/companies", params={"cursor": "bad!"}, headers=tenant.headers()).status_code == 422


def test_link_and_unlink_contacts(tenant: Tenant) -> None:
    c = tenant.client
    company = c.post(f"{API}/companies", json={"name": "Linked"}, headers=tenant.headers()).json()
    first, second = make_contacts(tenant, 2, prefix="link")
    linked = c.put(f"{API}/contacts/{first}/company", json={"company_id": company["id"]}, headers=tenant.headers())
    assert linked.status_code == 200 and linked.json()["company_id"] == company["id"]
    c.patch(f"{API}/contacts/{second}", json={"company_id": company["id"]}, headers=tenant.headers())
    members = c.get(f"{API}/companies/{company['id']}/contacts", headers=tenant.headers()).json()
    assert [m["id"] for m in members["items"]] == [second, first]
    unlinked = c.put(f"{API}/contacts/{first}/company", json={"company_id": None}, headers=tenant.headers())
    assert unlinked.json()["company_id"] is None
    missing = c.put(f"{API}/contacts/{first}/company", json={"company_id": 10**9}, headers=tenant.headers())
    assert missing.status_code == 404
    c.delete(f"{API}/companies/{company['id']}", headers=tenant.headers())
    assert c.get(f"{API}/contacts/{second}", headers=tenant.headers()).json()["company_id"] is None
