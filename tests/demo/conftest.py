"""A demo dataset of 2,000 contacts per backend, generated once per module, and helpers to read it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.demo.generate import DemoSummary, generate_demo
from tests.conftest import unique

AS_OF = date(2026, 3, 15)


@dataclass
class DemoWorkspace:
    workspace_id: int
    summary: DemoSummary


def make_demo(engine: Engine, *, contacts: int, seed: int, as_of: date = AS_OF) -> DemoWorkspace:
    """Generate demo data into a new workspace and commit it."""
    with Session(engine) as s:
        workspace = accounts.create_workspace(s, name=unique("demo-"))
        summary = generate_demo(s, workspace_id=workspace.id, contacts=contacts, seed=seed, as_of=as_of,
                                actor="test")
        s.commit()
        return DemoWorkspace(workspace_id=workspace.id, summary=summary)


@pytest.fixture(scope="module")
def demo2000(engine: Engine) -> DemoWorkspace:
    return make_demo(engine, contacts=2000, seed=11)
