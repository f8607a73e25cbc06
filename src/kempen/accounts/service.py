"""Workspaces, users, memberships and API keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from kempen.kit.secrets import hash_api_key, hash_password, new_api_key, verify_password
from kempen.models import ApiKey, Membership, Role, User, Workspace

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which workspace, with which role."""

    workspace_id: int
    role: Role
    user_id: int | None = None
    api_key_id: int | None = None

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}" if self.user_id is not None else f"api_key:{self.api_key_id}"

    def require(self, role: Role) -> None:
        """Raise unless this principal's role includes `role`."""
        if not self.role.includes(role):
            raise PermissionDenied(f"This needs the {role.value} role or higher; you have {self.role.value}.")


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "workspace"


def create_workspace(session: Session, *, name: str, slug: str | None = None) -> Workspace:
    """Create a workspace with a unique slug."""
    slug = slug or _slugify(name)
    if session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        raise Conflict(f"A workspace with slug {slug!r} already exists.")
    workspace = Workspace(name=name, slug=slug)
    session.add(workspace)
    session.flush()
    return workspace


def get_workspace_by_slug(session: Session, slug: str) -> Workspace:
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise NotFound(f"No workspace with slug {slug!r}.")
    return workspace


def create_user(session: Session, *, email: str, password: str, name: str = "") -> User:
    """Create a user with an argon2-hashed password."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with email {email!r} already exists.")
    user = User(email=email, name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def add_member(session: Session, *, workspace_id: int, user_id: int, role: Role, actor: str = "system") -> Membership:
    """Give a user a role in a workspace (or change the role they have); audited."""
    membership = session.get(Membership, (workspace_id, user_id))
    before = membership.role if membership is not None else None
    if membership is None:
        membership = Membership(workspace_id=workspace_id, user_id=user_id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    if before != role:
        user = session.get(User, user_id)
        audit.record(session, workspace_id=workspace_id, actor=actor,
                     action="member.added" if before is None else "member.role_changed", entity_type="user",
                     entity_id=user_id, details={"email": user.email if user else "", "role": role.value,
                                                 **({"previous_role": before.value} if before else {})})
    return membership


def authenticate_user(session: Session, *, email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = get_user_by_email(session, email)
    if user is None or not user.is_active:
        # Hash anyway so response time does not reveal which emails exist.
        verify_password(hash_password("timing-equaliser"), password)
        return None
    return user if verify_password(user.password_hash, password) else None


def workspaces_of_user(session: Session, user_id: int) -> list[tuple[Workspace, Role]]:
    """Return the workspaces a user belongs to with their role in each, by name."""
    stmt = (
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.name)
    )
    return [(ws, role) for ws, role in session.execute(stmt)]


def principal_for_user(session: Session, *, user_id: int, workspace_id: int) -> Principal | None:
    """Return the principal for a user acting in a workspace, or None if not a member."""
    stmt = select(Membership.role).join(User, User.id == Membership.user_id).where(
        Membership.user_id == user_id, Membership.workspace_id == workspace_id, User.is_active.is_(True)
    )
    role = session.scalar(stmt)
    return Principal(workspace_id=workspace_id, role=role, user_id=user_id) if role is not None else None


def create_api_key(
    session: Session, *, workspace_id: int, name: str, role: Role, created_by: Principal | None = None
) -> tuple[ApiKey, str]:
    """Create an API key; returns the row and the key itself, which is never retrievable again."""
    if created_by is not None:
        created_by.require(Role.ADMIN)
        if not created_by.role.includes(role):
            raise PermissionDenied("A key cannot have a higher role than its creator.")
    key = new_api_key()
    api_key = ApiKey(
        workspace_id=workspace_id,
        name=name,
        role=role,
        display_prefix=key[:12],
        key_hash=hash_api_key(key),
        created_by_user_id=created_by.user_id if created_by else None,
    )
    session.add(api_key)
    session.flush()
    audit.record(
        session, workspace_id=workspace_id, actor=created_by.actor if created_by else "system",
        action="api_key.created", entity_type="api_key", entity_id=api_key.id,
        details={"name": name, "role": role.value},
    )
    return api_key, key


def principal_for_api_key(session: Session, key: str) -> Principal | None:
    """Return the principal of a valid, unrevoked API key, or None."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if api_key is None or api_key.revoked_at is not None:
        return None
    return Principal(workspace_id=api_key.workspace_id, role=api_key.role, api_key_id=api_key.id)


def list_api_keys(session: Session, *, workspace_id: int) -> list[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.created_at.desc())
    return list(session.scalars(stmt))


def revoke_api_key(session: Session, *, principal: Principal, api_key_id: int) -> ApiKey:
    """Revoke a key of the caller's workspace."""
    principal.require(Role.ADMIN)
    api_key = session.get(ApiKey, api_key_id)
    if api_key is None or api_key.workspace_id != principal.workspace_id:
        raise NotFound(f"No API key {api_key_id} in this workspace.")
    api_key.revoked_at = utcnow()
    audit.record(
        session, workspace_id=principal.workspace_id, actor=principal.actor,
        action="api_key.revoked", entity_type="api_key", entity_id=api_key_id,
    )
    session.flush()
    return api_key
