"""Teamwork fixtures: a workspace ready for campaigns with one member per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.models import Role, User
from kempen.teamwork.actors import Acting
from tests.campaigns.conftest import World, fresh_world, make_world
from tests.conftest import Tenant, unique

PASSWORD = "correct horse battery"


@dataclass
class Team:
    """A workspace (`world`) with members: marketer Mara, manager Mona, analyst Andy, viewer Vic."""

    world: World
    users: dict[Role, User]

    @property
    def id(self) -> int:
        return self.world.id

    def user(self, role: Role) -> User:
        return self.users[role]

    def acting(self, role: Role) -> Acting:
        return Acting(workspace_id=self.id, role=role, actor=f"user:{self.users[role].id}",
                      user_id=self.users[role].id)


NAMES = {Role.MARKETER: "Mara Marketer", Role.MANAGER: "Mona Manager", Role.ANALYST: "Andy Analyst",
         Role.VIEWER: "Vic Viewer"}


def add_user(session: Session, workspace_id: int, role: Role, name: str, local: str | None = None) -> User:
    email = f"{local or unique(name.split()[0].lower() + '-')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD, name=name)
    accounts.add_member(session, workspace_id=workspace_id, user_id=user.id, role=role)
    return user


def make_team(session: Session, world: World) -> Team:
    users = {role: add_user(session, world.id, role, name) for role, name in NAMES.items()}
    session.commit()
    return Team(world=world, users=users)


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


@pytest.fixture
def other(session: Session) -> World:
    """Another workspace, whose rows the first must never see."""
    return fresh_world(session)


@pytest.fixture
def team(session: Session, world: World) -> Team:
    return make_team(session, world)


@pytest.fixture
def api_team(session: Session, tenant: Tenant) -> Team:
    return make_team(session, make_world(session, tenant.id, tenant.workspace.slug))
