"""Test fixtures: every database test runs on SQLite and, when KEMPEN_TEST_POSTGRES_URL is set, on PostgreSQL.

Each test run (and each xdist worker) creates its own PostgreSQL database and drops it afterwards;
each test gets its own workspace, so tests never see each other's rows, as tenants never do.
"""

from __future__ import annotations

import itertools
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from kempen import db as kempen_db
from kempen.accounts import service as accounts
from kempen.config import get_settings
from kempen.migrate import upgrade_database
from kempen.models import Role, Workspace

# CI replays the same examples on every run (a red build then always means a change broke
# something); local runs keep exploring new random examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_URL = os.environ.get("KEMPEN_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
_counter = itertools.count()


def unique(prefix: str) -> str:
    """A value no other test uses."""
    return f"{prefix}{next(_counter)}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session", autouse=True)
def _settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    data_dir = tmp_path_factory.mktemp("kempen-data")
    os.environ["KEMPEN_DATA_DIR"] = str(data_dir)
    os.environ["KEMPEN_SECRET_KEY"] = "test-secret-key-" + secrets.token_hex(8)
    os.environ.pop("KEMPEN_DATABASE_URL", None)
    # Tests read tracking rows right after the answer: answer after the commit. tests/tracking/test_journal.py
    # covers the default, journal acknowledgement.
    os.environ["KEMPEN_TRACKING_ACK"] = "commit"
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _create_postgres_database(worker: str) -> tuple[str, Engine]:
    assert POSTGRES_URL
    base = make_url(POSTGRES_URL)
    name = f"kempen_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = kempen_db.make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # CI must fail, not skip, when the database it was promised is missing
        pytest.fail(f"KEMPEN_TEST_POSTGRES_URL is set but PostgreSQL cannot be reached: {exc}", pytrace=False)
    finally:
        admin.dispose()
    return name, kempen_db.make_engine(base.set(database=name).render_as_string(hide_password=False))


def _drop_postgres_database(name: str) -> None:
    assert POSTGRES_URL
    admin = kempen_db.make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           worker_id: str) -> Iterator[Engine]:
    """A migrated database of each backend, for the whole run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "kempen.db"
        eng = kempen_db.make_engine(f"sqlite:///{path}")
        upgrade_database(eng)
        yield eng
        eng.dispose()
    else:
        name, eng = _create_postgres_database(worker_id)
        upgrade_database(eng)
        yield eng
        eng.dispose()
        _drop_postgres_database(name)


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """Point Kempen's process-wide engine at the test database."""
    kempen_db.set_engine(engine)
    yield engine
    kempen_db.set_engine(None)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session for arranging and checking data; tests commit what the code under test must see."""
    s = sessionmaker(bind=db, expire_on_commit=False)()
    yield s
    s.rollback()
    s.close()


@dataclass
class Tenant:
    """A workspace with an owner and helpers to call the API as any role."""

    workspace: Workspace
    owner_id: int
    client: TestClient
    keys: dict[Role, str]

    @property
    def id(self) -> int:
        return self.workspace.id

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def make_tenant(session: Session, client: TestClient) -> Tenant:
    slug = unique("ws-")
    workspace = accounts.create_workspace(session, name=slug, slug=slug)
    owner = accounts.create_user(session, email=f"{slug}@example.com", password="correct horse battery")
    accounts.add_member(session, workspace_id=workspace.id, user_id=owner.id, role=Role.OWNER)
    keys = {}
    for role in (Role.VIEWER, Role.ANALYST, Role.MARKETER, Role.MANAGER, Role.ADMIN):
        _, keys[role] = accounts.create_api_key(session, workspace_id=workspace.id, name=role.value, role=role)
    session.commit()
    return Tenant(workspace=workspace, owner_id=owner.id, client=client, keys=keys)


@pytest.fixture
def client(db: Engine) -> Iterator[TestClient]:
    from kempen.app import create_app

    with TestClient(create_app(background=False), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def tenant(session: Session, client: TestClient) -> Tenant:
    return make_tenant(session, client)


@pytest.fixture
def other_tenant(session: Session, client: TestClient) -> Tenant:
    return make_tenant(session, client)
