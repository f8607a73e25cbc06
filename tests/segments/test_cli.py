"""`kempen segment …`: count, preview, errors with a caret, export, list, create, snapshot, refresh-metrics."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.models import SegmentSnapshot
from tests.conftest import Tenant
from tests.segments.test_service import MY, make_people

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db")


def invoke(tenant: Tenant, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["segment", *args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output


@pytest.fixture
def people(session: Session, tenant: Tenant) -> dict[str, int]:
    found = make_people(session, tenant.id)
    session.commit()
    return found


def test_count_and_preview(tenant: Tenant, people: dict[str, int]) -> None:
    code, output = invoke(tenant, "count", MY)
    assert code == 0 and output.strip() == "4"
    code, output = invoke(tenant, "count", MY, "--preview", "--sample", "2")
    assert code == 0, output
    assert "4 contacts match" in output
    assert "email" in output and "direct_mail" in output and "50%" in output  # SMS: 2 of 4
    assert "Dee Tan" in output and "Cid Tan" in output and "Ann Tan" not in output


def test_an_invalid_rule_shows_a_caret_and_exits_1(tenant: Tenant, people: dict[str, int]) -> None:
    code, output = invoke(tenant, "count", 'country = "MY" and order_count > "x"')
    assert code == 1
    lines = output.splitlines()
    assert lines[0].startswith("error: line 1, column ")
    column = int(lines[0].split("column ")[1].split(":")[0])
    assert lines[1] == '  country = "MY" and order_count > "x"'
    assert lines[2].index("^") == column + 1  # under the offending token, past the two-space indent
    code, output = invoke(tenant, "count", "country =")
    assert code == 1 and output.startswith("error: line 1, column 9: expected a value after")
    assert output.splitlines()[1:3] == ["  country =", "          ^"]


def test_create_list_snapshot_and_missing_names(session: Session, tenant: Tenant, people: dict[str, int]) -> None:
    code, output = invoke(tenant, "create", "malaysia", MY)
    assert code == 0 and "created; 4 contacts match now" in output
    code, output = invoke(tenant, "create", "malaysia", MY)
    assert code == 1 and "error: A segment named 'malaysia' already exists." in output
    code, output = invoke(tenant, "list")
    assert code == 0 and "malaysia" in output and 'country = "MY"' in output
    code, output = invoke(tenant, "snapshot", "malaysia", "--reason", "launch")
    assert code == 0 and "4 contacts" in output
    taken = session.scalar(select(SegmentSnapshot).where(SegmentSnapshot.workspace_id == tenant.id))
    assert taken is not None and taken.reason == "launch" and taken.member_count == 4
    code, output = invoke(tenant, "snapshot", "nowhere")
    assert code == 1 and "No segment named 'nowhere'" in output


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_a_segment_a_rule_and_a_snapshot(session: Session, tenant: Tenant, people: dict[str, int],
                                                tmp_path: Path) -> None:
    invoke(tenant, "create", "malaysia", MY)
    out = tmp_path / "members.csv"
    code, output = invoke(tenant, "export", "malaysia", "--out", str(out))
    assert code == 0 and f"4 contacts written to {out}" in output
    rows = _rows(out.read_text())
    assert [int(r["id"]) for r in rows] == sorted(v for k, v in people.items() if k != "eve")
    assert rows[0]["email"] == "ann@example.com" and rows[0]["lifecycle_stage"] == "lead"
    code, output = invoke(tenant, "export", "--rule", 'country = "SG"')
    assert code == 0 and [r["first_name"] for r in _rows(output)] == ["Eve"]
    invoke(tenant, "snapshot", "malaysia")
    snapshot_id = session.scalar(select(SegmentSnapshot.id).where(SegmentSnapshot.workspace_id == tenant.id))
    code, output = invoke(tenant, "export", "--snapshot", str(snapshot_id))
    assert code == 0 and len(_rows(output)) == 4


def test_export_errors(tenant: Tenant, people: dict[str, int]) -> None:
    code, output = invoke(tenant, "export")
    assert code == 2 and "exactly one of NAME, --rule or --snapshot" in output
    code, output = invoke(tenant, "export", "nowhere")
    assert code == 1 and "No segment named 'nowhere'" in output
    code, output = invoke(tenant, "export", "--rule", "country >")
    assert code == 1 and output.startswith("error: line 1, column")
    code, output = invoke(tenant, "export", "--snapshot", "999999999")
    assert code == 1 and "No snapshot" in output


def test_refresh_metrics(tenant: Tenant, people: dict[str, int]) -> None:
    code, output = invoke(tenant, "refresh-metrics")
    assert code == 0 and "metrics recomputed for" in output
