"""`kempen demo` through the CLI: a summary on success, one clear error when it must refuse."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import Contact, Workspace
from tests.conftest import unique

runner = CliRunner()


def test_demo_command_into_a_new_workspace_then_refuses_a_second_run(db: Engine) -> None:
    name = unique("Demo shop ")
    args = ["demo", "--contacts", "120", "--seed", "3", "--as-of", "2026-02-01"]
    result = runner.invoke(app, [*args, "--new-workspace", name])
    assert result.exit_code == 0, result.output
    assert "contacts" in result.output and "rows in" in result.output
    with Session(db) as s:
        workspace = s.scalar(select(Workspace).where(Workspace.name == name))
        assert workspace is not None
        count = s.scalar(select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace.id))
    assert count == 120

    again = runner.invoke(app, [*args, "--workspace", workspace.slug])
    assert again.exit_code != 0 and isinstance(again.exception, Conflict)

    appended = runner.invoke(app, [*args, "--workspace", workspace.slug, "--append"])
    assert appended.exit_code == 0, appended.output


def test_demo_command_rejects_a_bad_date(db: Engine) -> None:
    result = runner.invoke(app, ["demo", "--contacts", "5", "--as-of", "15/03/2026", "--new-workspace", unique("x")])
    assert isinstance(result.exception, InvalidInput)
