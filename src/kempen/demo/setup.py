"""The workspace-level rows the demo contacts refer to: custom fields, tags, lists and companies."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.contacts import custom_fields, tags
from kempen.demo import names
from kempen.demo.common import Columns, DemoContext, IdRange, chunk_rng, weighted_choice
from kempen.demo.timestamps import to_datetime_strings
from kempen.kit.errors import Conflict
from kempen.models import Company, ContactList, CustomFieldType

CUSTOM_FIELDS: tuple[tuple[str, str, CustomFieldType, list[str] | None], ...] = (
    ("loyalty_tier", "Loyalty tier", CustomFieldType.CHOICE, list(names.LOYALTY_TIERS)),
    ("birthday", "Birthday", CustomFieldType.DATE, None),
    ("shoe_size", "Shoe size (EU)", CustomFieldType.NUMBER, None),
    ("newsletter_topics", "Newsletter topics", CustomFieldType.TEXT, None),
)
_LEGAL_SUFFIX = {"MY": "Sdn Bhd", "ID": "Tbk", "IN": "Pvt Ltd", "US": "Inc.", "GB": "Ltd", "DE": "GmbH",
                 "BR": "Ltda", "NG": "Ltd", "KE": "Ltd", "ET": "PLC", "PH": "Corp."}
# One company for every this many contacts (12% of contacts work for one: a handful of staff each).
CONTACTS_PER_COMPANY = 40
COMPANY_STREAM = 9


def ensure_custom_fields(session: Session, *, workspace_id: int) -> None:
    """Declare the demo's custom fields unless the workspace already has them (with the same type)."""
    existing = {d.key: d for d in custom_fields.list_definitions(session, workspace_id=workspace_id)}
    for key, label, field_type, choices in CUSTOM_FIELDS:
        definition = existing.get(key)
        if definition is None:
            custom_fields.create_definition(session, workspace_id=workspace_id, key=key, label=label,
                                            field_type=field_type, choices=choices)
        elif definition.field_type != field_type or (choices and set(choices) - set(definition.choices or [])):
            raise Conflict(f"The workspace already has a custom field {key!r} of another kind; the demo needs "
                           f"a {field_type.value} field with that key.")


def ensure_lists(session: Session, *, workspace_id: int) -> dict[str, int]:
    """Return the demo's static list ids by name, creating the lists that do not exist yet."""
    stmt = select(ContactList.name, ContactList.id).where(ContactList.workspace_id == workspace_id)
    found = {name: list_id for name, list_id in session.execute(stmt)}
    for name, description in names.LISTS:
        if name not in found:
            contact_list = ContactList(workspace_id=workspace_id, name=name, description=description)
            session.add(contact_list)
            session.flush()
            found[name] = contact_list.id
    return found


def ensure_tags(session: Session, *, workspace_id: int) -> dict[str, int]:
    return tags.ensure_tags(session, workspace_id=workspace_id, names=set(names.TAGS))


def next_company_number(session: Session, ctx: DemoContext) -> int:
    """Count the companies earlier demo runs with this seed created, so appended ones get new domains."""
    stmt = select(func.count()).select_from(Company).where(
        Company.workspace_id == ctx.workspace_id, Company.domain.like(f"%.{ctx.email_domain}"))
    return session.scalar(stmt) or 0


def company_rows(ctx: DemoContext, *, first_number: int, count: int, ids: IdRange, dialect: str) -> Columns:
    """Generate companies sorted by country (contacts pick employers from their own country's slice)."""
    rng = chunk_rng(ctx.seed, first_number, COMPANY_STREAM)
    country = np.sort(weighted_choice(rng, [c.weight for c in names.COUNTRIES], count))
    word = rng.integers(0, len(names.COMPANY_WORDS), count)
    kind = rng.integers(0, len(names.COMPANY_KINDS), count)
    numbers = range(first_number, first_number + count)
    codes = [names.COUNTRIES[c].code for c in country.tolist()]
    base = [f"{names.COMPANY_WORDS[w]} {names.COMPANY_KINDS[k]}" for w, k in zip(word.tolist(), kind.tolist(),
                                                                                   strict=True)]
    created = ctx.anchor - rng.integers(200, 4 * 365, count) * 86_400
    company_ids = ids.take(count)
    ctx.company_ids, ctx.company_country = company_ids, country
    created_text = to_datetime_strings(created, dialect)
    return {
        "id": company_ids.tolist(), "workspace_id": [ctx.workspace_id] * count,
        "name": [f"{b} {_LEGAL_SUFFIX[c]}" for b, c in zip(base, codes, strict=True)],
        "domain": [f"{names.ascii_slug(b)}{n}.{ctx.email_domain}" for b, n in zip(base, numbers, strict=True)],
        "industry": [names.INDUSTRIES[i] for i in rng.integers(0, len(names.INDUSTRIES), count).tolist()],
        "country": codes, "created_at": created_text, "updated_at": created_text,
    }
