"""Importing contacts: good rows land, bad rows are listed with line and reason, batches commit whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kempen.contacts import custom_fields
from kempen.contacts.tags import tags_of_contact
from kempen.imports import service
from kempen.imports.rejects import Reject, RejectLog
from kempen.imports.schemas import ImportProgress
from kempen.models import Contact, CustomFieldType, ImportRun, ImportStatus
from tests.conftest import Tenant
from tests.imports.conftest import WriteCsv, count_contacts, read_rejects

HEADER = ["Customer ID", "E-mail", "Mobile", "First Name", "Country", "Stage", "Tags", "Shoe size", "Notes"]
ROWS = [
    ["C-1", "ann@example.com", "+60123456789", "Ann", "MY", "Customer", "vip; new", "38", "x"],  # line 2
    ["", "not-an-email", "", "Bob", "", "", "", "", ""],                                            # line 3
    ["", "cy@example.com", "12", "Cy", "", "", "", "", ""],                                         # line 4
    ["", "di@example.com", "", "Di", "ZZ", "", "", "", ""],                                         # line 5
    ["", "ANN@example.com", "", "", "", "", "later", "", ""],                                       # line 6
    ["", "", "", "Nobody", "MY", "", "", "", ""],                                                   # line 7
    ["C-2", "eve@example.com", "", "Eve", "DE", "lead", "", "big", ""],                             # line 8
    ["C-3", "fay@example.com", "", "Fay", "de", "", "", "41", ""],                                  # line 9
]


def _run(factory: sessionmaker[Session], tenant: Tenant, path: Path, **kwargs: object) -> ImportRun:
    return service.import_contacts(factory, workspace_id=tenant.id, actor="test", path=path, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def shoe_size(session: Session, tenant: Tenant) -> None:
    custom_fields.create_definition(session, workspace_id=tenant.id, key="shoe_size", label="Shoe size",
                                    field_type=CustomFieldType.NUMBER)
    session.commit()


@pytest.mark.usefixtures("shoe_size")
def test_good_rows_land_and_each_bad_row_is_listed(factory: sessionmaker[Session], session: Session,
                                                    tenant: Tenant, write_csv: WriteCsv, tmp_path: Path) -> None:
    rejects_path = tmp_path / "out.rejects.csv"
    run = _run(factory, tenant, write_csv([HEADER, *ROWS]), rejects_path=rejects_path, batch_size=3)

    assert (run.status, run.total_rows, run.created_rows, run.rejected_rows) == (ImportStatus.COMPLETED, 8, 2, 5)
    assert run.column_mapping["unmapped"] == ["Notes"]
    assert run.column_mapping["columns"]["Shoe size"] == "custom_fields.shoe_size"
    reasons = {int(r["line"]): r["reason"] for r in read_rejects(rejects_path)}
    assert sorted(reasons) == [3, 4, 5, 7, 8]
    assert "invalid email" in reasons[3] and "invalid phone number" in reasons[4]
    assert "unknown country code 'ZZ'" in reasons[5] and "at least one of external_id, email or phone" in reasons[7]
    assert "shoe_size" in reasons[8] and "expected a number" in reasons[8]
    assert read_rejects(rejects_path)[0]["First Name"] == "Bob"  # the original columns come back as they were
    assert run.rejects_csv.splitlines()[0] == ",".join([*HEADER, "line", "reason"])
    assert len(run.rejects_csv.strip().splitlines()) == 6

    ann = session.scalar(select(Contact).where(Contact.workspace_id == tenant.id, Contact.external_id == "C-1"))
    assert ann is not None and ann.lifecycle_stage == "customer" and ann.custom_fields == {"shoe_size": 38}
    # Line 6 is the same person by email: it merged into Ann, adding a tag without erasing her name.
    assert ann.first_name == "Ann" and ann.phone == "+60123456789"
    assert tags_of_contact(session, workspace_id=tenant.id, contact_id=ann.id) == ["later", "new", "vip"]
    assert count_contacts(session, tenant.id) == 2  # Ann and Fay


@pytest.mark.usefixtures("shoe_size")
def test_reimporting_the_same_file_updates_instead_of_duplicating(
        factory: sessionmaker[Session], session: Session, tenant: Tenant, write_csv: WriteCsv) -> None:
    path = write_csv([HEADER, *ROWS])
    first = _run(factory, tenant, path, batch_size=4)
    second = _run(factory, tenant, path, batch_size=4)
    assert (first.created_rows, first.updated_rows) == (2, 1)  # line 6 updates Ann in a later batch
    # Ann is updated once per batch she appears in (lines 2 and 6), Fay once.
    assert (second.created_rows, second.updated_rows, second.rejected_rows) == (0, 3, 5)
    assert count_contacts(session, tenant.id) == 2
    assert first.id != second.id


def test_a_crash_keeps_whole_batches_and_marks_the_run_failed(
        factory: sessionmaker[Session], session: Session, tenant: Tenant, write_csv: WriteCsv) -> None:
    rows = [[f"u{i}@example.com", f"U{i}"] for i in range(10)]
    seen: list[ImportProgress] = []

    def crash_after_two_batches(progress: ImportProgress) -> None:
        seen.append(progress)
        if progress.batches == 2:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        _run(factory, tenant, write_csv([["Email", "Name"], *rows]), batch_size=3, progress=crash_after_two_batches)

    assert count_contacts(session, tenant.id) == 6  # two whole batches, nothing of the third
    run = session.scalar(select(ImportRun).where(ImportRun.workspace_id == tenant.id))
    assert run is not None and run.status == ImportStatus.FAILED
    assert run.error == "RuntimeError: disk on fire" and run.finished_at is not None
    assert (run.total_rows, run.created_rows) == (6, 6)
    assert [p.rows for p in seen] == [3, 6]


def test_a_failing_batch_leaves_nothing_of_itself(factory: sessionmaker[Session], session: Session,
                                                  tenant: Tenant, write_csv: WriteCsv,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = service._KINDS["contacts"][0]
    calls = []

    def explode_in_batch_three(session: Session, workspace_id: int, actor: str, rows: list[dict]) -> object:
        calls.append(len(rows))
        result = real(session, workspace_id, actor, rows)  # the batch's rows are flushed …
        if len(calls) == 3:
            raise ValueError("unexpected")  # … and then the service fails
        return result

    monkeypatch.setitem(service._KINDS, "contacts", (explode_in_batch_three, service._KINDS["contacts"][1]))
    rows = [[f"w{i}@example.com"] for i in range(12)]
    with pytest.raises(ValueError, match="unexpected"):
        _run(factory, tenant, write_csv([["Email"], *rows]), batch_size=4)
    assert count_contacts(session, tenant.id) == 8
    run = session.scalar(select(ImportRun).where(ImportRun.workspace_id == tenant.id))
    assert run is not None and run.status == ImportStatus.FAILED and run.total_rows == 8


def test_dry_run_stores_nothing_but_lists_rejects(factory: sessionmaker[Session], session: Session,
                                                  tenant: Tenant, write_csv: WriteCsv, tmp_path: Path) -> None:
    rejects_path = tmp_path / "dry.rejects.csv"
    path = write_csv([["Email"], ["a@example.com"], ["nope"], ["b@example.com"]])
    run = _run(factory, tenant, path, dry_run=True, rejects_path=rejects_path)
    assert run.id is None and (run.created_rows, run.rejected_rows) == (2, 1)
    assert [r["line"] for r in read_rejects(rejects_path)] == ["3"]
    assert count_contacts(session, tenant.id) == 0
    assert session.scalar(select(ImportRun).where(ImportRun.workspace_id == tenant.id)) is None


def test_csv_level_rejects_are_counted_with_service_rejects(
        factory: sessionmaker[Session], session: Session, tenant: Tenant, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("Email,Name\nzoë@example.com,Zoë\n".encode() + b"b@example.com,Bj\xf6rn\nc@example.com\n")
    run = _run(factory, tenant, path)
    assert (run.created_rows, run.rejected_rows) == (1, 2)
    assert "not valid UTF-8" in run.column_mapping["warnings"][0]
    lines = run.rejects_csv.splitlines()
    assert lines[1].endswith(",3,the row contains bytes that are not valid UTF-8")
    assert lines[2].endswith(',4,"expected 2 columns, found 1"')


def test_stored_rejects_are_capped_but_the_file_has_them_all(tmp_path: Path) -> None:
    log = RejectLog(["Email"], tmp_path / "r.csv", cap=2)
    first = log.stored_chunk([Reject(2, ["a"], "bad")])
    later = log.stored_chunk([Reject(3, ["b"], "bad"), Reject(4, ["c"], "bad")])
    log.write([Reject(2, ["a"], "bad"), Reject(3, ["b"], "bad"), Reject(4, ["c"], "bad")])
    log.close()
    assert first == "Email,line,reason\r\na,2,bad\r\n" and later == "b,3,bad\r\n"
    assert log.truncated and log.stored == 2 and log.count == 3
    assert [r["line"] for r in read_rejects(tmp_path / "r.csv")] == ["2", "3", "4"]


def test_statistics_are_refreshed_as_the_import_grows(factory: sessionmaker[Session], session: Session,
                                                      tenant: Tenant, write_csv: WriteCsv,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "FIRST_ANALYZE_AT", 2)
    analyzed: list[str] = []
    real = service.runs.refresh_statistics
    monkeypatch.setattr(service.runs, "refresh_statistics",
                        lambda f, kind: (analyzed.append(kind), real(f, kind)))
    run = _run(factory, tenant, write_csv([["Email"], *[[f"s{i}@example.com"] for i in range(9)]]), batch_size=2)
    # At 2, 4 and 8 rows; on PostgreSQL each ran ANALYZE for real (an error would have failed the import).
    assert run.created_rows == 9 and analyzed == ["contacts", "contacts", "contacts"]
