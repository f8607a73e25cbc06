"""`kempen task|comment|notifications|audit`: the commands, acting as a member, errors in one line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.models import Role
from tests.teamwork.conftest import Team

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db")


def run(team: Team, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--workspace", team.world.slug])
    return result.exit_code, result.output


def test_tasks_comments_and_notifications(session: Session, team: Team) -> None:
    campaign = team.world.campaign()
    manager, marketer = team.user(Role.MANAGER), team.user(Role.MARKETER)
    code, out = run(team, "task", "add", str(campaign.id), "Write copy", "--assignee", manager.email,
                    "--due", "2020-02-01", "--as", marketer.email)
    assert code == 0 and "task #" in out, out
    code, out = run(team, "task", "list", "--overdue", "--json")
    rows = json.loads(out)
    assert [(r["title"], r["assignee"], r["overdue"]) for r in rows] == [("Write copy", manager.email, True)]
    code, out = run(team, "comment", "add", str(campaign.id), f"@{manager.email.split('@')[0]} copy is in",
                    "--as", marketer.email)
    assert code == 0 and "1 member mentioned" in out, out
    code, out = run(team, "comment", "list", str(campaign.id))
    assert marketer.email in out and "copy is in" in out
    code, out = run(team, "notifications", "--user", manager.email, "--unread", "--mark-read")
    assert code == 0 and "Task for you: Write copy" in out and "2 marked read" in out, out
    code, out = run(team, "task", "done", str(rows[0]["id"]), "--as", team.user(Role.ANALYST).email)
    assert code == 1 and "assignee may change" in out  # the analyst is neither a marketer nor the assignee
    code, out = run(team, "task", "done", str(rows[0]["id"]), "--as", manager.email)
    assert code == 0 and "is done" in out


def test_errors_are_one_line(team: Team) -> None:
    campaign = team.world.campaign()
    code, out = run(team, "task", "add", str(campaign.id), "x", "--due", "soon")
    assert code == 1 and "YYYY-MM-DD" in out and len(out.strip().splitlines()) == 1
    code, out = run(team, "task", "add", str(campaign.id), "x", "--assignee", "nobody@example.com")
    assert code == 1 and "not a member" in out
    code, out = run(team, "comment", "add", str(campaign.id), "hi", "--as", team.user(Role.VIEWER).email)
    assert code == 1 and "analyst role" in out


def test_audit_list_and_export(team: Team, tmp_path: Path) -> None:
    campaign = team.world.campaign()
    run(team, "task", "add", str(campaign.id), "Design banner")
    code, out = run(team, "audit", "list", "--entity-type", "task", "--json")
    assert [r["action"] for r in json.loads(out)] == ["task.created"]
    target = tmp_path / "audit.csv"
    code, out = run(team, "audit", "export", "--out", str(target), "--action", "task.")
    assert code == 0 and "1 entries" in out
    assert [r["action"] for r in csv.DictReader(target.open(encoding="utf-8"))] == ["task.created"]
    code, out = run(team, "audit", "list", "--since", "2026-02-02", "--until", "2026-01-01")
    assert code == 1 and "before the start" in out
