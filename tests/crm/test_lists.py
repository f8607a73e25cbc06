"""Static lists: CRUD, bulk membership, paging members."""

from __future__ import annotations

from kempen.models import Role
from tests.conftest import Tenant
from tests.crm.conftest import API, make_contacts


def test_list_crud(tenant: Tenant) -> None:
    c = tenant.client
    created = c.post(f"{API}/lists", json={"name": "Newsletter", "description": "weekly"},
                     headers=tenant.headers(Role.MARKETER))
    assert created.status_code == 201 and created.json()["member_count"] == 0
    list_id = created.json()["id"]
    assert c.post(f"{API}/lists", json={"name": "Newsletter"}, headers=tenant.headers()).status_code == 409
    patched = c.patch(f"{API}/lists/{list_id}", json={"name": "Weekly"}, headers=tenant.headers())
    assert patched.status_code == 200 and patched.json()["description"] == "weekly"
    assert [entry["name"] for entry in c.get(f"{API}/lists", headers=tenant.headers()).json()] == ["Weekly"]
    assert c.get(f"{API}/lists/{list_id}", headers=tenant.headers(Role.VIEWER)).json()["name"] == "Weekly"
    assert c.delete(f"{API}/lists/{list_id}", headers=tenant.headers()).status_code == 204
    assert c.get(f"{API}/lists/{list_id}", headers=tenant.headers()).status_code == 404
    assert c.post(f"{API}/lists", json={"name": ""}, headers=tenant.headers()).status_code == 422


def test_members_in_bulk_with_counts_and_cursor(tenant: Tenant) -> None:
    c = tenant.client
    list_id = c.post(f"{API}/lists", json={"name": "Big"}, headers=tenant.headers()).json()["id"]
    ids = make_contacts(tenant, 25, prefix="member")
    added = c.post(f"{API}/lists/{list_id}/members", json={"contact_ids": [*ids, 10**9]}, headers=tenant.headers())
    assert added.status_code == 200 and added.json() == {"changed": 25, "not_found": [10**9]}
    again = c.post(f"{API}/lists/{list_id}/members", json={"contact_ids": ids}, headers=tenant.headers())
    assert again.json()["changed"] == 0
    assert c.get(f"{API}/lists/{list_id}", headers=tenant.headers()).json()["member_count"] == 25
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = c.get(f"{API}/lists/{list_id}/members", params=params, headers=tenant.headers()).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 25
    removed = c.post(f"{API}/lists/{list_id}/members/remove", json={"contact_ids": ids[:5]},
                     headers=tenant.headers())
    assert removed.json()["changed"] == 5
    assert c.get(f"{API}/lists", headers=tenant.headers()).json()[0]["member_count"] == 20
    assert c.get(f"{API}/contacts/{ids[6]}", headers=tenant.headers()).json()["lists"] == ["Big"]


def test_members_of_a_missing_list_is_404(tenant: Tenant) -> None:
    c = tenant.client
    assert c.get(f"{API}/lists/{10**9}/members", headers=tenant.headers()).status_code == 404
    assert c.post(f"{API}/lists/{10**9}/members", json={"contact_ids": [1]}, headers=tenant.headers()).status_code == 404
    list_id = c.post(f"{API}/lists", json={"name": "Empty"}, headers=tenant.headers()).json()["id"]
    empty = c.post(f"{API}/lists/{list_id}/members", json={"contact_ids": []}, headers=tenant.headers())
    assert empty.status_code == 422
