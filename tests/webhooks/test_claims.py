"""Several dispatchers never claim the same delivery: row locks on PostgreSQL, leases everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from kempen.kit.clock import utcnow
from kempen.webhooks.dispatch import claim_due
from tests.conftest import Tenant

API = "/api/v1"


@pytest.fixture
def make_pending(tenant: Tenant) -> Iterator[Callable[[int], None]]:
    """Queue deliveries to a closed local port; drop them afterwards so no later test sends them."""
    endpoint = tenant.client.post(f"{API}/webhooks", json={"url": "http://127.0.0.1:9/closed"},
                                  headers=tenant.headers()).json()

    def make(count: int) -> None:
        records = [{"email": f"claim{i}@example.com"} for i in range(count)]
        tenant.client.put(f"{API}/contacts/batch", json={"contacts": records}, headers=tenant.headers())

    yield make
    tenant.client.delete(f"{API}/webhooks/{endpoint['id']}", headers=tenant.headers())


def test_concurrent_claims_skip_locked_rows(db: Engine, make_pending: Callable[[int], None]) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; concurrent claims cannot happen there")
    make_pending(5)
    factory = sessionmaker(bind=db)
    first, second = factory(), factory()
    try:
        now = utcnow()
        claimed_first = {job.delivery_id for job in claim_due(first, now=now, limit=1000)}
        claimed_second = {job.delivery_id for job in claim_due(second, now=now, limit=1000)}
        assert len(claimed_first) >= 5
        assert claimed_first.isdisjoint(claimed_second)
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()


def test_a_committed_claim_is_leased(db: Engine, make_pending: Callable[[int], None]) -> None:
    make_pending(3)
    factory = sessionmaker(bind=db)
    now = utcnow()
    with factory() as session, session.begin():
        claimed = claim_due(session, now=now, limit=1000)
    assert len(claimed) >= 3
    with factory() as session, session.begin():
        assert claim_due(session, now=now, limit=1000) == []
