"""`clicked(campaign "…", last 30d)` sees tracked human clicks; the SQL compiler and the evaluator agree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session

from kempen.models import Campaign, CampaignStatus, Channel, Contact, Event, TouchKind, TrackingEvent
from kempen.segments import rules
from kempen.segments.compiler import count_query, members_query
from kempen.segments.evaluator import Dataset, evaluate
from kempen.segments.fields import FieldCatalogue
from tests.conftest import Tenant
from tests.segments.conftest import NOW

RULES = [
    {"type": "clicked", "campaign": "Autumn", "window": {"amount": 30, "unit": "d"}},
    {"type": "clicked", "campaign": "Autumn"},
    {"type": "clicked", "campaign": "Winter"},
    {"type": "not", "rule": {"type": "clicked", "campaign": "Autumn", "window": {"amount": 30, "unit": "d"}}},
]


@pytest.fixture
def clicks(session: Session, tenant: Tenant) -> tuple[dict[str, int], Dataset]:
    names = ["human", "machine", "old", "other", "event", "none"]
    ids: dict[str, int] = {n: int(session.execute(insert(Contact).returning(Contact.id),
                                                 {"workspace_id": tenant.id, "first_name": n}).scalar_one())
                           for n in names}
    autumn, winter = (Campaign(workspace_id=tenant.id, name=n, status=CampaignStatus.COMPLETED)
                      for n in ("Autumn", "Winter"))
    session.add_all([autumn, winter])
    session.flush()
    assert autumn.id and winter.id
    rows = [("human", autumn.id, 3, False), ("machine", autumn.id, 3, True), ("old", autumn.id, 45, False),
            ("other", winter.id, 2, False)]
    data = Dataset(contacts={i: {"id": i} for i in ids.values()})
    for name, campaign_id, days, machine in rows:
        at = NOW - timedelta(days=days)
        session.execute(insert(TrackingEvent), {
            "workspace_id": tenant.id, "kind": TouchKind.CLICK, "occurred_at": at, "campaign_id": campaign_id,
            "contact_id": ids[name], "channel": Channel.EMAIL, "machine": machine, "url": "https://x.example/"})
        data.clicks.append({"contact_id": ids[name], "campaign": "Autumn" if campaign_id == autumn.id else "Winter",
                            "occurred_at": at, "machine": machine})
    # An open is not a click.
    session.execute(insert(TrackingEvent), {"workspace_id": tenant.id, "kind": TouchKind.OPEN, "occurred_at": NOW,
                                            "campaign_id": winter.id, "contact_id": ids["none"], "machine": False})
    # A click sent in through the events API still counts.
    event = {"workspace_id": tenant.id, "contact_id": ids["event"], "name": "email_click",
             "occurred_at": NOW - timedelta(days=1), "properties": {"campaign": "Autumn"}, "source": "api"}
    session.execute(insert(Event), event)
    data.events.append(event)
    session.commit()
    return ids, data


@pytest.mark.parametrize("rule", RULES, ids=[str(r) for r in RULES])
def test_tracked_clicks_match_in_sql_and_in_the_evaluator(session: Session, tenant: Tenant,
                                                         clicks: tuple[dict[str, int], Dataset],
                                                         rule: dict[str, Any]) -> None:
    ids, data = clicks
    parsed = rules.rule_from_json(rule)
    args: dict[str, Any] = {"workspace_id": tenant.id, "catalogue": FieldCatalogue(), "now": NOW,
                            "resolve_segment": lambda name: pytest.fail(name)}
    found = set(session.scalars(members_query(parsed, **args)))
    assert found == evaluate(parsed, data, now=NOW, catalogue=FieldCatalogue(),
                             resolve_segment=lambda name: pytest.fail(name))
    assert session.scalar(count_query(parsed, **args)) == len(found)
    names = {n for n, i in ids.items() if i in found}
    expected = {0: {"human", "event"}, 1: {"human", "old", "event"}, 2: {"other"},
                3: {"machine", "old", "other", "none"}}[RULES.index(rule)]
    assert names == expected
