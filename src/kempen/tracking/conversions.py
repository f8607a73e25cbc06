"""Web conversions: goals reported by a server (API) or by a website's snippet (public endpoint).

A conversion names its contact by id, email, external id or a signed click id (`kmp`) from a tracked
link; a click id also names the delivery, which attribution then counts as the click that brought the
visitor. Conversions without a contact are stored (totals) but never attributed. Retries are safe: a
repeated `idempotency_key` (unique per workspace) answers the stored conversion and writes nothing.
A batch is answered item by item: bad items are refused with their index, good ones are written in
the request's one transaction (the same rule as the orders and events batches).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator
from sqlalchemy import Select, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kempen.contacts.schemas import normalise_email
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput, KempenError, NotFound
from kempen.kit.ids import MAX_ID
from kempen.kit.pagination import keyset_page
from kempen.models import Contact, Order
from kempen.models.tracking import Conversion
from kempen.tracking.click_ids import read_click_id
from kempen.tracking.settings import get_tracking_settings

MAX_BATCH = 1000
MAX_PROPERTIES_BYTES = 8 * 1024
# Clocks of the caller and of Kempen differ a little; a conversion further in the future is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
Status = Literal["created", "duplicate", "error"]


class ConversionIn(BaseModel):
    """One conversion as a server reports it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    external_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    kmp: Annotated[str, Field(min_length=1, max_length=1000, description="A click id from a landing URL")] | None = None
    anonymous_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=120)] = "conversion"
    value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("0")
    currency: str | None = Field(None, description="Default: the workspace's currency")
    occurred_at: AwareDatetime | None = Field(None, description="Default: now; at most 5 minutes ahead")
    order_id: StrictInt | Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="A number: Kempen's order id; a string: the order's external id")
    properties: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = value.upper()
        if not _CURRENCY.match(code):
            raise ValueError("must be a three-letter ISO 4217 currency code such as EUR")
        return code

    @field_validator("properties")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(orjson.dumps(value, default=str)) > MAX_PROPERTIES_BYTES:
            raise ValueError(f"must be at most {MAX_PROPERTIES_BYTES // 1024} KiB as JSON")
        return value


class ConversionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contact_id: int | None
    anonymous_id: str | None
    name: str
    occurred_at: datetime
    value: Decimal
    currency: str
    order_id: int | None
    delivery_id: int | None
    source: str
    idempotency_key: str | None
    properties: dict[str, Any]
    received_at: datetime


class ConversionPage(BaseModel):
    items: list[ConversionOut]
    next_cursor: str | None


class BatchItem(BaseModel):
    index: int
    status: Status
    id: int | None = None
    error: str | None = None


class BatchResult(BaseModel):
    created: int
    duplicates: int
    rejected: int
    items: list[BatchItem]


@dataclass
class _Pending:
    index: int
    row: dict[str, Any]
    status: Status = "created"
    id: int | None = None


def describe(exc: ValidationError) -> str:
    """One readable sentence for a Pydantic error (the first problem found)."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def _find_contact(session: Session, workspace_id: int, data: ConversionIn) -> int | None:
    given = [k for k in ("contact_id", "email", "external_id") if getattr(data, k) is not None]
    if len(given) > 1:
        raise InvalidInput("Name the contact once: by contact_id, email or external_id.")
    if not given:
        return None
    stmt = select(Contact.id).where(Contact.workspace_id == workspace_id)
    if data.contact_id is not None:
        stmt = stmt.where(Contact.id == data.contact_id)
    elif data.email is not None:
        try:
            stmt = stmt.where(Contact.email_normalized == normalise_email(data.email))
        except ValueError:
            raise InvalidInput(f"email: {data.email!r} is not a valid address.") from None
    else:
        stmt = stmt.where(Contact.external_id == data.external_id)
    found = session.scalar(stmt)
    if found is None:
        raise InvalidInput(f"No contact of this workspace matches the {given[0]} given.")
    return found


def _click(session: Session, workspace_id: int, token: str) -> tuple[int, int]:
    """The (contact, delivery) of a genuine click id of this workspace."""
    click = read_click_id(token)  # InvalidInput when forged or altered
    if click.workspace_id != workspace_id:
        raise InvalidInput("This click id was not made for this workspace.")
    exists = session.scalar(select(Contact.id).where(Contact.workspace_id == workspace_id,
                                                     Contact.id == click.contact_id))
    if exists is None:
        raise InvalidInput("The contact of this click id no longer exists.")
    return click.contact_id, click.delivery_id


def _order(session: Session, workspace_id: int, ref: int | str, *, required: bool) -> int | None:
    column = Order.id if isinstance(ref, int) else Order.external_id
    found = session.scalar(select(Order.id).where(Order.workspace_id == workspace_id, column == ref))
    if found is None and required:
        raise InvalidInput(f"order_id: no order of this workspace has the {'id' if isinstance(ref, int) else 'external id'} {ref!r}.")
    return found


def _row(session: Session, workspace_id: int, data: ConversionIn, *, currency: str, source: str,
         anonymous: bool, now: datetime) -> dict[str, Any]:
    """The `conversions` row for one checked item (InvalidInput for what cannot be stored)."""
    contact_id = _find_contact(session, workspace_id, data)
    delivery_id = None
    if data.kmp is not None:
        click_contact, delivery_id = _click(session, workspace_id, data.kmp)
        if contact_id is not None and contact_id != click_contact:
            raise InvalidInput("The click id belongs to another contact than the one named.")
        contact_id = click_contact
    if contact_id is None and data.anonymous_id is None and not anonymous:
        raise InvalidInput("Name the contact (contact_id, email, external_id or kmp) or give an anonymous_id.")
    occurred_at = data.occurred_at or now
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidInput("occurred_at: a conversion cannot be in the future.")
    properties = dict(data.properties)
    order_id = None
    if data.order_id is not None:
        # The API names orders Kempen knows; a website names its own, which may not be imported yet.
        order_id = _order(session, workspace_id, data.order_id, required=source == "api")
        if order_id is None:
            properties["order_id"] = data.order_id
    return {"workspace_id": workspace_id, "contact_id": contact_id, "anonymous_id": data.anonymous_id,
            "name": data.name, "occurred_at": occurred_at, "value": data.value,
            "currency": data.currency or currency, "order_id": order_id, "delivery_id": delivery_id,
            "source": source, "idempotency_key": data.idempotency_key, "properties": properties,
            "received_at": now}


def _existing_keys(session: Session, workspace_id: int, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = session.execute(select(Conversion.idempotency_key, Conversion.id).where(
        Conversion.workspace_id == workspace_id, Conversion.idempotency_key.in_(keys)))
    return {str(key): int(id_) for key, id_ in rows}


def _insert(session: Session, workspace_id: int, pending: list[_Pending]) -> None:
    """Insert the new rows; a key another request stored meanwhile makes its item a duplicate."""
    plain = [p for p in pending if p.row["idempotency_key"] is None]
    if plain:
        ids = session.scalars(insert(Conversion).returning(Conversion.id, sort_by_parameter_order=True),
                              [p.row for p in plain]).all()
        for p, id_ in zip(plain, ids, strict=True):
            p.id = int(id_)
    keyed = {p.row["idempotency_key"]: p for p in pending if p.row["idempotency_key"] is not None}
    if not keyed:
        return
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(Conversion).on_conflict_do_nothing().returning(Conversion.idempotency_key, Conversion.id)
    stored = {str(k): int(i) for k, i in session.execute(stmt, [p.row for p in keyed.values()])}
    raced = [key for key in keyed if key not in stored]
    stored.update(_existing_keys(session, workspace_id, raced))
    for key, p in keyed.items():
        p.id, p.status = stored[key], ("created" if key not in raced else "duplicate")


def record_conversions(session: Session, *, workspace_id: int, items: list[ConversionIn], source: str = "api",
                       anonymous: bool = False) -> list[BatchItem]:
    """Store conversions; answer each item as created, duplicate (same idempotency key) or error."""
    now = utcnow()
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    answers: dict[int, BatchItem] = {}
    pending: list[_Pending] = []
    for index, data in enumerate(items):
        try:
            pending.append(_Pending(index, _row(session, workspace_id, data, currency=currency, source=source,
                                                anonymous=anonymous, now=now)))
        except KempenError as exc:
            answers[index] = BatchItem(index=index, status="error", error=exc.detail)
    existing = _existing_keys(session, workspace_id, [p.row["idempotency_key"] for p in pending
                                                      if p.row["idempotency_key"] is not None])
    first_of: dict[str, _Pending] = {}
    new: list[_Pending] = []
    repeats: list[tuple[_Pending, _Pending]] = []
    for p in pending:
        key = p.row["idempotency_key"]
        if key in existing:
            answers[p.index] = BatchItem(index=p.index, status="duplicate", id=existing[key])
        elif key is not None and key in first_of:
            repeats.append((p, first_of[key]))  # the same key twice in one batch: one row
        else:
            if key is not None:
                first_of[key] = p
            new.append(p)
    _insert(session, workspace_id, new)
    for p in new:
        answers[p.index] = BatchItem(index=p.index, status=p.status, id=p.id)
    for p, first in repeats:
        answers[p.index] = BatchItem(index=p.index, status="duplicate", id=first.id)
    return [answers[i] for i in range(len(items))]


def record_batch(session: Session, *, workspace_id: int, records: list[Any]) -> BatchResult:
    """Check and store up to MAX_BATCH raw records, answering each by its index."""
    if not records or len(records) > MAX_BATCH:
        raise InvalidInput(f"conversions: send between 1 and {MAX_BATCH:,} conversions per request.")
    parsed: list[ConversionIn] = []
    positions: list[int] = []
    errors: dict[int, BatchItem] = {}
    for index, record in enumerate(records):
        try:
            parsed.append(ConversionIn.model_validate(record))
            positions.append(index)
        except ValidationError as exc:
            errors[index] = BatchItem(index=index, status="error", error=describe(exc))
    for position, item in zip(positions, record_conversions(session, workspace_id=workspace_id, items=parsed),
                              strict=True):
        errors[position] = item.model_copy(update={"index": position})
    items = [errors[i] for i in range(len(records))]
    return BatchResult(created=sum(i.status == "created" for i in items),
                       duplicates=sum(i.status == "duplicate" for i in items),
                       rejected=sum(i.status == "error" for i in items), items=items)


def get_conversion(session: Session, *, workspace_id: int, conversion_id: int) -> Conversion:
    """A stored conversion of this workspace."""
    found = session.scalar(select(Conversion).where(Conversion.workspace_id == workspace_id,
                                                    Conversion.id == conversion_id))
    if found is None:
        raise NotFound(f"No conversion {conversion_id} in this workspace.")
    return found


def list_conversions(session: Session, *, workspace_id: int, since: datetime | None = None,
                     until: datetime | None = None, name: str | None = None, contact_id: int | None = None,
                     cursor: str | None = None, limit: int = 50) -> tuple[list[Conversion], str | None]:
    """Conversions, newest stored first, filtered by time [since, until), name and contact."""
    stmt: Select[Conversion] = select(Conversion).where(Conversion.workspace_id == workspace_id)
    if since is not None:
        stmt = stmt.where(Conversion.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Conversion.occurred_at < until)
    if name is not None:
        stmt = stmt.where(Conversion.name == name)
    if contact_id is not None:
        stmt = stmt.where(Conversion.contact_id == contact_id)
    return keyset_page(session, stmt, Conversion.id, cursor=cursor, limit=limit)


class SiteConversionIn(BaseModel):
    """A conversion sent by the website snippet (public: the site key names the workspace)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    site: Annotated[str, Field(min_length=1, max_length=40)]
    kmp: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    name: Annotated[str, Field(min_length=1, max_length=120)] = "conversion"
    value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("0")
    currency: str | None = None
    order_id: StrictInt | Annotated[str, Field(min_length=1, max_length=200)] | None = None
    event_id: Annotated[str, Field(min_length=8, max_length=64)] | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


def record_site_conversion(session: Session, *, workspace_id: int, data: SiteConversionIn) -> BatchItem:
    """Store a browser's conversion, idempotent per order id or else per the snippet's event id.

    Its time is the server's (a browser clock is not trusted); an error item means nothing was stored.
    """
    order_ref = None if data.order_id is None else str(data.order_id)
    key = f"js:order:{order_ref}" if order_ref else (f"js:event:{data.event_id}" if data.event_id else None)
    try:
        item = ConversionIn(kmp=data.kmp, name=data.name, value=data.value, currency=data.currency,
                            order_id=order_ref, properties=data.properties, idempotency_key=key)
    except ValidationError as exc:
        return BatchItem(index=0, status="error", error=describe(exc))
    return record_conversions(session, workspace_id=workspace_id, items=[item], source="js", anonymous=True)[0]
