"""`kempen import contacts|orders`: exit codes, summary, warnings, rejects file and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.models import Contact, ImportRun, ImportStatus, Order
from tests.conftest import Tenant
from tests.imports.conftest import WriteCsv, count_contacts, read_rejects

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db")


def invoke(tenant: Tenant, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["import", *args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output


def test_import_prints_summary_and_writes_rejects_next_to_the_file(
        session: Session, tenant: Tenant, write_csv: WriteCsv) -> None:
    path = write_csv([["Email Address", "Given name", "Shoe"], ["a@example.com", "Ann", "38"],
                      ["broken", "Bob", ""], ["b@example.com", "Bea", ""]], name="people.csv")
    code, output = invoke(tenant, "contacts", str(path))
    assert code == 0, output
    assert "columns: Email Address → email, Given name → first_name" in output
    assert "warning: not imported (no matching field): 'Shoe'" in output
    assert "3 rows in" in output and "2 contacts were created, 0 updated, 1 rows rejected" in output
    rejects = path.with_name("people.rejects.csv")
    assert f"rejected rows with line numbers and reasons: {rejects}" in output
    [reject] = read_rejects(rejects)
    assert reject["line"] == "3" and reject["Given name"] == "Bob" and "invalid email" in reject["reason"]
    run = session.scalar(select(ImportRun).where(ImportRun.workspace_id == tenant.id))
    assert run is not None and run.status == ImportStatus.COMPLETED and run.filename == "people.csv"
    assert f"import #{run.id}" in output


def test_map_override_batch_size_and_rejects_path(session: Session, tenant: Tenant, write_csv: WriteCsv,
                                                  tmp_path: Path) -> None:
    path = write_csv([["Ref", "Mail"], ["R1", "a@example.com"], ["R2", "b@example.com"], ["R3", "x"]])
    rejects = tmp_path / "elsewhere.csv"
    code, output = invoke(tenant, "contacts", str(path), "--map", "Ref=external_id", "--map", "Mail=email",
                          "--batch-size", "1", "--rejects", str(rejects))
    assert code == 0, output
    assert "warning" not in output and read_rejects(rejects)[0]["line"] == "4"
    assert set(session.scalars(select(Contact.external_id).where(Contact.workspace_id == tenant.id))) == {"R1", "R2"}


def test_dry_run_stores_nothing(session: Session, tenant: Tenant, write_csv: WriteCsv) -> None:
    code, output = invoke(tenant, "contacts", str(write_csv([["Email"], ["a@example.com"]])), "--dry-run")
    assert code == 0 and "1 contacts would be created" in output and "nothing was stored" in output
    assert count_contacts(session, tenant.id) == 0


def test_encoding_fallback_is_a_warning_not_an_error(session: Session, tenant: Tenant, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Email;First name\nm@example.com;Müller\n".encode("cp1252"))
    code, output = invoke(tenant, "contacts", str(path))
    assert code == 0 and "warning: the file is not UTF-8; read it as Windows-1252" in output
    assert session.scalar(select(Contact.first_name).where(Contact.workspace_id == tenant.id)) == "Müller"


@pytest.mark.parametrize(("content", "message"), [
    (None, "error: No such file:"),
    (b"", "is empty"),
    (b"First name,City\nAnn,Ipoh\n", "error: No identity column: the file needs a column for external_id or email"),
    ("Email\na@example.com\n".encode("utf-16"), "is UTF-16/UTF-32 encoded; save it as CSV UTF-8"),
])
def test_unusable_input_exits_1_with_one_line(session: Session, tenant: Tenant, tmp_path: Path,
                                              content: bytes | None, message: str) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    code, output = invoke(tenant, "contacts", str(path))
    assert code == 1
    assert len(output.strip().splitlines()) == 1 and message in output and output.startswith("error:")
    assert session.scalar(select(ImportRun).where(ImportRun.workspace_id == tenant.id)) is None


def test_unknown_workspace_and_bad_map_are_one_line_errors(tenant: Tenant, write_csv: WriteCsv) -> None:
    path = str(write_csv([["Email"], ["a@example.com"]]))
    result = runner.invoke(app, ["import", "contacts", path, "--workspace", "no-such-ws"])
    assert result.exit_code == 1 and result.output.strip() == "error: No workspace with slug 'no-such-ws'."
    code, output = invoke(tenant, "contacts", path, "--map", "email")
    assert code == 1 and len(output.strip().splitlines()) == 1 and "COLUMN=FIELD" in output


def test_orders_import(session: Session, tenant: Tenant, write_csv: WriteCsv) -> None:
    invoke(tenant, "contacts", str(write_csv([["Email"], ["ann@example.com"]], name="c.csv")))
    path = write_csv([["Order number", "E-mail", "Order date", "Grand total", "Currency", "SKU", "Qty", "Unit price"],
                      ["N-1", "ann@example.com", "2024-05-01", "25", "EUR", "TEA", "1", "5"],
                      ["N-1", "", "", "", "", "CUP", "2", "10"],
                      ["N-2", "zed@example.com", "2024-05-01", "5", "EUR", "TEA", "1", "5"]], name="o.csv")
    code, output = invoke(tenant, "orders", str(path))
    assert code == 0, output
    assert "1 orders were created, 0 updated, 1 rows rejected" in output
    assert "unknown contact" in read_rejects(path.with_name("o.rejects.csv"))[0]["reason"]
    assert list(session.scalars(select(Order.external_id).where(Order.workspace_id == tenant.id))) == ["N-1"]
