"""Bulk metrics: order statistics, RFM quintiles and groups, lead scores — checked against plain Python."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Integer, literal, select
from sqlalchemy.orm import Session

from kempen.models import Contact, ContactMetrics, Order
from kempen.segments import rules
from kempen.segments.compiler.values import rfm_group
from kempen.segments.evaluator import evaluate, load_dataset
from kempen.segments.fields import RFM_GROUPS
from kempen.segments.metrics import last_computed_at, metrics_are_stale, recompute_metrics, rfm_group_case
from tests.conftest import Tenant
from tests.segments.conftest import LEAD_RULES, NOW, SegmentWorld

DAY = timedelta(days=1)


def _ntile(keys: dict[int, Any], buckets: int = 5) -> dict[int, int]:
    """NTILE(buckets) OVER (ORDER BY key, contact id), as SQL defines it: larger buckets first."""
    ordered = sorted(keys, key=lambda cid: (keys[cid], cid))
    size, extra = divmod(len(ordered), buckets)
    scores, position = {}, 0
    for bucket in range(1, buckets + 1):
        take = size + (1 if bucket <= extra else 0)
        for cid in ordered[position:position + take]:
            scores[cid] = bucket
        position += take
    return scores


def _expected(world: SegmentWorld) -> dict[int, dict[str, Any]]:
    paid: dict[int, list[dict[str, Any]]] = {cid: [] for cid in world.data.contacts}
    for order in world.data.orders:
        if order["status"] in ("paid", "fulfilled"):
            paid[order["contact_id"]].append(order)
    buyers = {cid: rows for cid, rows in paid.items() if rows}
    recency = _ntile({cid: max(o["placed_at"] for o in rows) for cid, rows in buyers.items()})
    frequency = _ntile({cid: len(rows) for cid, rows in buyers.items()})
    monetary = _ntile({cid: sum(o["amount"] for o in rows) for cid, rows in buyers.items()})
    expected = {}
    for cid, rows in paid.items():
        spent = sum((o["amount"] for o in rows), Decimal(0))
        scores = (recency[cid], frequency[cid], monetary[cid]) if rows else None
        expected[cid] = {
            "order_count": len(rows), "total_spent": spent,
            "avg_order_value": spent / len(rows) if rows else None,
            "first_order_at": min((o["placed_at"] for o in rows), default=None),
            "last_order_at": max((o["placed_at"] for o in rows), default=None),
            "rfm_score": "".join(map(str, scores)) if scores else None,
            "rfm_group": rfm_group(*scores) if scores else None,
        }
    return expected


def test_order_statistics_and_rfm_match_python(world: SegmentWorld) -> None:
    expected = _expected(world)
    assert set(world.data.metrics) == set(world.data.contacts)
    for cid, want in expected.items():
        got = world.data.metrics[cid]
        assert got["order_count"] == want["order_count"], cid
        assert got["total_spent"] == want["total_spent"], cid
        if want["avg_order_value"] is None:
            assert got["avg_order_value"] is None
        else:  # stored rounded to cents
            assert abs(got["avg_order_value"] - want["avg_order_value"]) <= Decimal("0.005"), cid
        assert (got["first_order_at"], got["last_order_at"]) == (want["first_order_at"], want["last_order_at"])
        assert (got["rfm_score"], got["rfm_group"]) == (want["rfm_score"], want["rfm_group"]), cid
        assert got["computed_at"] == NOW


def test_lead_score_is_the_points_of_the_matching_rules(world: SegmentWorld) -> None:
    matched = {name: evaluate(rules.rule_from_json(rule), world.data, now=NOW, catalogue=world.catalogue,
                              resolve_segment=world.resolve) for name, rule, _ in LEAD_RULES}
    assert all(matched.values()), "each lead-score rule should match someone in the dataset"
    for cid, row in world.data.metrics.items():
        assert row["lead_score"] == sum(points for name, _, points in LEAD_RULES if cid in matched[name]), cid


def test_rfm_case_matches_the_documented_table(session: Session) -> None:
    reached = set()
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                scores = [literal(x, Integer) for x in (r, f, m)]
                group = session.scalar(select(rfm_group_case(*scores)))
                assert group == rfm_group(r, f, m), (r, f, m)
                reached.add(group)
    assert reached == set(RFM_GROUPS)


def _buyer(session: Session, ws: int, name: str, orders: list[tuple[float, str, str]]) -> int:
    contact = Contact(workspace_id=ws, first_name=name, created_at=NOW - 400 * DAY)
    session.add(contact)
    session.flush()
    for n, (days, amount, status) in enumerate(orders):
        session.add(Order(workspace_id=ws, external_id=f"{name}-{n}", contact_id=contact.id,
                          placed_at=NOW - days * DAY, amount=Decimal(amount), currency="MYR", status=status))
    return contact.id


@pytest.fixture
def buyers(session: Session, tenant: Tenant) -> dict[str, int]:
    """Five buyers, one per quintile of each of R, F and M, a contact without orders and one with a refund."""
    ws = tenant.id
    people = {
        "c1": [(300, "10.00", "paid")],
        "c2": [(210, "20.00", "paid"), (200, "30.00", "fulfilled")],
        "c3": [(22, "100.00", "paid"), (12, "100.00", "paid"), (2, "100.00", "paid")],
        "c4": [(130, "250.00", "paid"), (120, "250.00", "paid"), (110, "250.00", "paid"), (100, "250.00", "paid")],
        "c5": [(days, "4.00", "paid") for days in (41, 31, 21, 11, 1)] + [(0.5, "900.00", "pending")],
        "none": [],
        "refunded": [(5, "999.00", "refunded"), (6, "5.00", "cancelled")],
    }
    ids = {name: _buyer(session, ws, name, orders) for name, orders in people.items()}
    session.commit()
    return ids


def test_rfm_by_hand(session: Session, tenant: Tenant, buyers: dict[str, int]) -> None:
    assert recompute_metrics(session, workspace_id=tenant.id, now=NOW) == 7
    session.commit()
    rows = {m.contact_id: m for m in session.scalars(select(ContactMetrics)
                                                     .where(ContactMetrics.workspace_id == tenant.id))}
    got = {name: (rows[cid].rfm_score, rows[cid].rfm_group, rows[cid].order_count, rows[cid].total_spent)
           for name, cid in buyers.items()}
    assert got == {
        "c1": ("111", "lost", 1, Decimal("10.00")),
        "c2": ("223", "hibernating", 2, Decimal("50.00")),
        "c3": ("434", "loyal", 3, Decimal("300.00")),
        "c4": ("345", "loyal", 4, Decimal("1000.00")),
        "c5": ("552", "loyal", 5, Decimal("20.00")),
        "none": (None, None, 0, Decimal("0.00")),
        "refunded": (None, None, 0, Decimal("0.00")),
    }
    c2 = rows[buyers["c2"]]
    assert (c2.avg_order_value, c2.first_order_at, c2.last_order_at) == (Decimal("25.00"), NOW - 210 * DAY,
                                                                         NOW - 200 * DAY)


def test_recompute_replaces_rows_and_leaves_other_workspaces_alone(
        session: Session, tenant: Tenant, other_tenant: Tenant, buyers: dict[str, int]) -> None:
    _buyer(session, other_tenant.id, "elsewhere", [(3, "70.00", "paid")])
    session.commit()
    recompute_metrics(session, workspace_id=other_tenant.id, now=NOW)
    recompute_metrics(session, workspace_id=tenant.id, now=NOW - DAY)
    session.add(Order(workspace_id=tenant.id, external_id="late", contact_id=buyers["none"], placed_at=NOW - DAY / 2,
                      amount=Decimal("12.00"), currency="MYR", status="paid"))
    assert recompute_metrics(session, workspace_id=tenant.id, now=NOW) == 7
    session.commit()
    count: Callable[[int], Any] = lambda ws: session.scalar(  # noqa: E731
        select(ContactMetrics.order_count).where(ContactMetrics.workspace_id == ws).order_by(
            ContactMetrics.contact_id.desc()).limit(1))
    assert count(other_tenant.id) == 1
    mine = load_dataset(session, tenant.id).metrics
    assert len(mine) == 7 and mine[buyers["none"]]["order_count"] == 1


def test_staleness(session: Session, tenant: Tenant, buyers: dict[str, int]) -> None:
    assert last_computed_at(session, workspace_id=tenant.id) is None
    assert metrics_are_stale(session, workspace_id=tenant.id, now=NOW)
    recompute_metrics(session, workspace_id=tenant.id, now=NOW)
    assert last_computed_at(session, workspace_id=tenant.id) == NOW
    assert not metrics_are_stale(session, workspace_id=tenant.id, now=NOW + timedelta(hours=23))
    assert metrics_are_stale(session, workspace_id=tenant.id, now=NOW + timedelta(hours=25))
    assert metrics_are_stale(session, workspace_id=tenant.id, now=NOW + DAY, max_age=timedelta(hours=1))
