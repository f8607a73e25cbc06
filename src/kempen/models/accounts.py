"""Workspaces (tenants), users, memberships with roles, and API keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import Base, BigIntId, created_at_column, str_enum, workspace_fk


class Role(enum.StrEnum):
    """What a member or key may do; each role includes everything below it."""

    VIEWER = "viewer"      # reads everything in the workspace
    ANALYST = "analyst"    # and exports figures
    MARKETER = "marketer"  # and plans, builds and sends campaigns
    MANAGER = "manager"    # and approves campaigns and plans (reviewers)
    ADMIN = "admin"        # and manages settings, members and keys
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


RoleColumn = str_enum(Role, "role", 16)


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = created_at_column()


class Membership(Base):
    """A user's role in one workspace."""

    __tablename__ = "memberships"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(RoleColumn, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (Index(None, "user_id"),)


class ApiKey(Base):
    """A key for the REST API, tied to one workspace and one role; only its hash is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # The first characters, shown in listings so people can tell keys apart.
    display_prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[Role] = mapped_column(RoleColumn, nullable=False)
    created_by_user_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "workspace_id", "created_at"),)
