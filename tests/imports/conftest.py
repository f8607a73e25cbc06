"""Fixtures for import tests: CSV files written on the spot and a session factory per test database."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kempen.models import Contact

WriteCsv = Callable[..., Path]


@pytest.fixture
def factory(db: Engine) -> sessionmaker[Session]:
    """What the import service takes: a way to open a session per batch."""
    return sessionmaker(bind=db, expire_on_commit=False)


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write rows (header first) as a CSV file and return its path."""

    def write(rows: list[list[str]], name: str = "input.csv", *, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        path = tmp_path / name
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    return write


def read_rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def count_contacts(session: Session, workspace_id: int) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace_id)) or 0
