"""Tags: counts, create, rename, delete, per contact and in bulk."""

from __future__ import annotations

from kempen.models import Role
from tests.conftest import Tenant
from tests.crm.conftest import API, make_contacts


def _tags(tenant: Tenant) -> dict[str, int]:
    listed = tenant.client.get(f"{API}/tags", headers=tenant.headers(Role.VIEWER)).json()
    return {t["name"]: t["contact_count"] for t in listed}


def test_create_rename_delete_with_counts(tenant: Tenant) -> None:
    c = tenant.client
    created = c.post(f"{API}/tags", json={"name": "vip"}, headers=tenant.headers(Role.MARKETER))
    assert created.status_code == 201 and created.json()["contact_count"] == 0
    assert c.post(f"{API}/tags", json={"name": "vip"}, headers=tenant.headers()).status_code == 409
    first, second = make_contacts(tenant, 2, prefix="tag")
    tagged = c.post(f"{API}/contacts/{first}/tags", json={"names": ["vip", "new"]}, headers=tenant.headers())
    assert tagged.status_code == 200 and tagged.json() == ["new", "vip"]
    c.post(f"{API}/contacts/{second}/tags", json={"names": ["vip"]}, headers=tenant.headers())
    assert _tags(tenant) == {"vip": 2, "new": 1}
    renamed = c.patch(f"{API}/tags/vip", json={"name": "gold"}, headers=tenant.headers())
    assert renamed.status_code == 200 and renamed.json()["contact_count"] == 2
    assert c.patch(f"{API}/tags/gold", json={"name": "new"}, headers=tenant.headers()).status_code == 409
    assert c.get(f"{API}/contacts/{first}", headers=tenant.headers()).json()["tags"] == ["gold", "new"]
    assert c.delete(f"{API}/tags/gold", headers=tenant.headers()).status_code == 204
    assert c.get(f"{API}/contacts/{first}", headers=tenant.headers()).json()["tags"] == ["new"]
    assert c.delete(f"{API}/tags/gold", headers=tenant.headers()).status_code == 404


def test_untag_one_contact(tenant: Tenant) -> None:
    c = tenant.client
    (contact,) = make_contacts(tenant, 1, prefix="untag")
    c.post(f"{API}/contacts/{contact}/tags", json={"names": ["a", "b"]}, headers=tenant.headers())
    assert c.delete(f"{API}/contacts/{contact}/tags/a", headers=tenant.headers()).status_code == 204
    assert c.get(f"{API}/contacts/{contact}", headers=tenant.headers()).json()["tags"] == ["b"]
    assert c.delete(f"{API}/contacts/{contact}/tags/a", headers=tenant.headers()).status_code == 404
    assert c.delete(f"{API}/contacts/{10**9}/tags/b", headers=tenant.headers()).status_code == 404
    assert c.post(f"{API}/contacts/{contact}/tags", json={"names": []}, headers=tenant.headers()).status_code == 422


def test_bulk_tag_reports_unknown_ids(tenant: Tenant) -> None:
    c = tenant.client
    ids = make_contacts(tenant, 30, prefix="bulk")
    result = c.post(f"{API}/tags/wave/contacts", json={"contact_ids": [*ids, ids[0], 10**9]},
                    headers=tenant.headers())
    assert result.status_code == 200, result.text
    assert result.json() == {"changed": 30, "not_found": [10**9]}
    again = c.post(f"{API}/tags/wave/contacts", json={"contact_ids": ids[:5]}, headers=tenant.headers())
    assert again.json()["changed"] == 0
    assert _tags(tenant)["wave"] == 30
    removed = c.post(f"{API}/tags/wave/contacts/remove", json={"contact_ids": ids[:10]}, headers=tenant.headers())
    assert removed.json()["changed"] == 10 and _tags(tenant)["wave"] == 20


def test_bulk_is_capped_at_10000(tenant: Tenant) -> None:
    ids = list(range(1, 10_002))
    response = tenant.client.post(f"{API}/tags/big/contacts", json={"contact_ids": ids}, headers=tenant.headers())
    assert response.status_code == 422
