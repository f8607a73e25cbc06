"""Property-based checks of the identity rules: a batch behaves like the same records sent one by one."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.contacts.batch import upsert_contacts
from kempen.models import Contact
from tests.conftest import unique

# A tiny key space so that records collide often.
emails = st.sampled_from(["a@x.io", "A@x.io", "b@x.io", "c@x.io", None])
external_ids = st.sampled_from(["e1", "e2", "e3", None])
phones = st.sampled_from(["+4915112345678", "+60123456789", None])
names = st.sampled_from(["Ana", "Bo", None])
records = st.lists(
    st.fixed_dictionaries({"email": emails, "external_id": external_ids, "phone": phones, "first_name": names}),
    min_size=1, max_size=10)


def _state(session: Session, workspace_id: int) -> set[tuple[Any, ...]]:
    stmt = select(Contact.external_id, Contact.email_normalized, Contact.phone, Contact.first_name).where(
        Contact.workspace_id == workspace_id)
    return {tuple(row) for row in session.execute(stmt)}


@settings(max_examples=int(os.environ.get("KEMPEN_HYPOTHESIS_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=records)
def test_batch_equals_one_by_one_and_is_idempotent(session: Session, batch: list[dict]) -> None:
    clean = [{k: v for k, v in r.items() if v is not None} for r in batch]
    batched = accounts.create_workspace(session, name=unique("prop-"))
    one_by_one = accounts.create_workspace(session, name=unique("prop-"))

    result = upsert_contacts(session, workspace_id=batched.id, actor="prop", records=clean)
    singles = [upsert_contacts(session, workspace_id=one_by_one.id, actor="prop", records=[r]) for r in clean]
    session.flush()

    assert _state(session, batched.id) == _state(session, one_by_one.id)
    assert [i is None for i in result.ids] == [s.ids[0] is None for s in singles]
    assert result.rejected == sum(s.rejected for s in singles)

    stored = list(session.scalars(select(Contact).where(Contact.workspace_id == batched.id)))
    for key in ("email_normalized", "external_id"):
        values = [getattr(c, key) for c in stored if getattr(c, key) is not None]
        assert len(values) == len(set(values)), f"duplicate {key}"

    # Re-sending what is stored (one record per contact) matches every contact and changes nothing;
    # a phone-only record for a phone that several contacts share is ambiguous by design, so it is left out.
    before = _state(session, batched.id)
    phone_holders = Counter(p for _, _, p, _ in before if p)
    resend = [{"external_id": e, "email": m, "phone": p, "first_name": n} for e, m, p, n in before
              if e or m or phone_holders[p] == 1]
    again = upsert_contacts(session, workspace_id=batched.id, actor="prop",
                            records=[{k: v for k, v in r.items() if v is not None} for r in resend])
    session.flush()
    assert (again.created, again.rejected) == (0, 0)
    assert _state(session, batched.id) == before
    session.rollback()
