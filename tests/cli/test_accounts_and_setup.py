"""The CLI: first-run setup, users, API keys, contact lookup and its one-line errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen import db as kempen_db
from kempen.accounts import service as accounts
from kempen.cli.main import app
from kempen.config import get_settings
from kempen.models import Membership, Role, User
from tests.conftest import Tenant, unique

runner = CliRunner()


@pytest.fixture
def fresh_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty embedded workspace, as a newcomer's first `make run` sees it."""
    monkeypatch.setenv("KEMPEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KEMPEN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    kempen_db.set_engine(None)
    yield tmp_path
    kempen_db.get_engine().dispose()
    kempen_db.set_engine(None)
    get_settings.cache_clear()


def test_init_creates_owner_once_and_prints_login(fresh_sqlite: Path) -> None:
    first = runner.invoke(app, ["init", "--demo-contacts", "0"])
    assert first.exit_code == 0, first.output
    password = re.search(r"password: (\S+)", first.output)
    assert password and (fresh_sqlite / "kempen.db").exists()
    with Session(kempen_db.get_engine()) as s:
        owner = s.scalar(select(User).where(User.email == "owner@kempen.local"))
        assert owner is not None
        assert accounts.authenticate_user(s, email=owner.email, password=password.group(1)) is not None
    again = runner.invoke(app, ["init", "--demo-contacts", "0"])
    assert again.exit_code == 0 and "password:" not in again.output


def test_users_create_and_apikeys_create(db: Engine, session: Session, tenant: Tenant) -> None:
    email = f"{unique('u')}@example.com"
    result = runner.invoke(app, ["users", "create", email, "--role", "analyst", "--workspace", tenant.workspace.slug])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    membership = session.get(Membership, (tenant.id, user.id))
    assert membership is not None and membership.role == Role.ANALYST

    keyed = runner.invoke(app, ["apikeys", "create", "sync", "--role", "viewer", "--workspace", tenant.workspace.slug])
    assert keyed.exit_code == 0, keyed.output
    key = re.search(r"(kmp_\S+)", keyed.output)
    assert key is not None
    me = tenant.client.get("/api/v1/me", headers={"Authorization": f"Bearer {key.group(1)}"})
    assert me.json() == {"workspace_id": tenant.id, "role": "viewer", "user_id": None, "api_key_id": me.json()["api_key_id"]}


def test_contacts_show_and_readable_errors(db: Engine, tenant: Tenant) -> None:
    tenant.client.post("/api/v1/contacts", json={"email": "cli@example.com", "first_name": "Cleo"},
                       headers=tenant.headers())
    shown = runner.invoke(app, ["contacts", "show", "CLI@example.com", "--workspace", tenant.workspace.slug])
    assert shown.exit_code == 0 and "Cleo" in shown.output

    missing = runner.invoke(app, ["contacts", "show", "nobody@example.com", "--workspace", tenant.workspace.slug])
    assert missing.exit_code != 0
    bad_ws = runner.invoke(app, ["contacts", "show", "x", "--workspace", "no-such-workspace"])
    assert bad_ws.exit_code != 0


def test_main_prints_one_line_and_exits_non_zero(db: Engine, tenant: Tenant, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from kempen.cli import main as cli_main

    monkeypatch.setattr("sys.argv", ["kempen", "contacts", "show", "ghost@example.com",
                                     "--workspace", tenant.workspace.slug])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "ghost@example.com" in err and len(err.splitlines()) == 1
