"""Planning test helpers: objectives written through the service, conversions for the reporting fixture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from kempen.models import Conversion, Objective
from kempen.planning import objectives, schemas
from tests.reporting.conftest import LAUNCH, Built

ACTOR = "test"
# Ten days after the reporting fixture's launch (2026-03-01 10:00 UTC).
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)


def objective(session: Session, workspace_id: int, *, campaign_id: int | None = None,
              programme_id: int | None = None, **fields: Any) -> Objective:
    """An objective added as of the launch day (so that deadlines in March 2026 are in the future)."""
    data = schemas.ObjectiveCreate(**{"metric": "conversions", "target": "5", "deadline": date(2026, 3, 31),
                                      **fields})
    found = objectives.add_objective(session, workspace_id=workspace_id, actor=ACTOR, data=data,
                                     campaign_id=campaign_id, programme_id=programme_id, today=date(2026, 3, 1))
    session.commit()
    return found


def convert(session: Session, b: Built, contact: str, *, name: str, hours: float, value: str = "0") -> None:
    """A website conversion of a contact, `hours` after the launch."""
    session.add(Conversion(workspace_id=b.workspace_id, contact_id=b.contacts[contact], name=name,
                           occurred_at=LAUNCH + timedelta(hours=hours), value=Decimal(value), currency="EUR"))
    session.commit()
