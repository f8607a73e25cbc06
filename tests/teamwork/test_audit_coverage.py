"""Changes to members are audited (segments, templates, budgets and keys have their own audit tests)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.models import Role
from kempen.teamwork import audit_log
from tests.campaigns.conftest import World


def test_adding_a_member_and_changing_the_role_are_audited(session: Session, world: World) -> None:
    user = accounts.create_user(session, email=f"new-{world.slug}@example.com", password="correct horse battery")
    accounts.add_member(session, workspace_id=world.id, user_id=user.id, role=Role.ANALYST, actor="user:1")
    accounts.add_member(session, workspace_id=world.id, user_id=user.id, role=Role.ANALYST, actor="user:1")
    accounts.add_member(session, workspace_id=world.id, user_id=user.id, role=Role.MANAGER, actor="user:1")
    entries, _ = audit_log.list_entries(session, workspace_id=world.id,
                                        where=audit_log.AuditFilter(entity_type="user"))
    assert [(e.action, e.details.get("role"), e.details.get("previous_role")) for e in entries] == [
        ("member.role_changed", "manager", "analyst"), ("member.added", "analyst", None)]
    assert entries[0].details["email"] == user.email and entries[0].entity_id == str(user.id)
