"""The audit log page: admins only, filters, pages and the CSV export."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.models import Role
from tests.conftest import Tenant
from tests.teamwork.conftest import Team
from tests.web.conftest import login, owner_email
from tests.web.test_teamwork import as_member
from tests.web.test_teamwork import crew as crew  # noqa: F401  (the fixture)

PAGE = "/settings/audit"


def test_only_admins_open_the_audit_log(tenant: Tenant, crew: Team) -> None:
    for role in (Role.VIEWER, Role.ANALYST, Role.MARKETER, Role.MANAGER):
        as_member(tenant.client, crew, role)
        page = tenant.client.get(PAGE)
        assert page.status_code == 403 and 'id="audit-link"' not in page.text
        assert tenant.client.get(PAGE, params={"format": "csv"}).status_code == 403


def test_filters_pages_and_csv(tenant: Tenant, session: Session, other_tenant: Tenant) -> None:
    for n in range(55):
        audit.record(session, workspace_id=tenant.id, actor="user:1", action="segment.updated", entity_type="segment",
                     entity_id=n, details={"n": n})
    audit.record(session, workspace_id=tenant.id, actor=f"user:{tenant.owner_id}", action="api_key.revoked",
                 entity_type="api_key", entity_id=7)
    audit.record(session, workspace_id=other_tenant.id, actor="user:1", action="segment.deleted",
                 entity_type="segment", entity_id=1)
    session.commit()
    assert login(tenant.client, owner_email(tenant)).status_code == 303
    client = tenant.client
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="audit-link"' in page.text and 'id="audit-older"' in page.text
    keys = client.get(PAGE, params={"actor": owner_email(tenant), "entity_type": "api_key"})
    assert "api_key.revoked" in keys.text and "segment.updated" not in keys.text
    assert owner_email(tenant) in keys.text  # the actor is shown by email
    segments = client.get(PAGE, params={"action": "segment.", "entity_id": "3"})
    assert segments.text.count("segment.updated") == 1 and "segment.deleted" not in segments.text
    bad = client.get(PAGE, params={"since": "soon"})
    assert bad.status_code == 200 and 'id="audit-problem"' in bad.text
    exported = client.get(PAGE, params={"entity_type": "segment", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 55 and {r["action"] for r in rows} == {"segment.updated"}
    assert rows[0]["entity_id"] == "54"  # newest first
