"""Which CSV column feeds which field: detection from the headers, overrides, and the checks on both.

Headers are compared after folding case and dropping spaces and punctuation, so "E-mail",
"Email Address" and "email_address" all mean the same. Contacts' custom fields are found by their
key or their label. A column the mapping does not use is reported, never silently dropped.

Targets are field names (`email`, `placed_at`, …), `custom_fields.<key>` for a custom field and
`item.<name>` for an order's line-item columns; the target `ignore` drops a column on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from kempen.kit.errors import InvalidInput
from kempen.models import CustomFieldDefinition

ImportKind = Literal["contacts", "orders"]
IGNORE = "ignore"
CUSTOM_PREFIX = "custom_fields."

# Field → header synonyms (written readably; compared after `fold`). The first match wins.
CONTACT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("external id", "customer id", "customer number", "customer no", "client id", "contact id",
                    "crm id", "ext id"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail"),
    "phone": ("phone", "mobile", "phone number", "mobile number", "mobile phone", "cell", "cell phone",
              "telephone", "tel", "msisdn"),
    "first_name": ("first name", "given name", "firstname", "forename"),
    "last_name": ("last name", "surname", "family name", "lastname"),
    "country": ("country", "country code"),
    "city": ("city", "town"),
    "time_zone": ("time zone", "timezone", "tz"),
    "language": ("language", "lang", "locale"),
    "lifecycle_stage": ("stage", "lifecycle stage", "lifecycle"),
    "lead_source": ("lead source", "source"),
    "tags": ("tags", "tag", "labels"),
    "company_id": ("company id",),
}
ORDER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("order id", "order number", "order no", "order", "order ref", "order reference",
                    "external id", "order external id"),
    "contact_email": ("customer email", "contact email", "email", "e-mail", "email address", "buyer email"),
    "contact_external_id": ("customer id", "customer external id", "contact external id", "client id",
                            "customer number"),
    "contact_id": ("contact id", "kempen contact id"),
    "placed_at": ("date", "placed at", "order date", "ordered at", "created at", "purchase date", "timestamp"),
    "amount": ("total", "amount", "order total", "grand total", "total amount", "value"),
    "currency": ("currency", "currency code"),
    "status": ("status", "order status", "financial status"),
    "channel": ("channel", "sales channel", "source"),
    "item.sku": ("sku", "product sku", "item sku", "product code", "variant sku"),
    "item.name": ("product name", "product", "item name", "item", "product title", "title"),
    "item.category": ("category", "product category", "item category", "product type"),
    "item.quantity": ("quantity", "qty", "item quantity", "units"),
    "item.price": ("price", "unit price", "item price", "line price"),
}
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {"contacts": CONTACT_SYNONYMS, "orders": ORDER_SYNONYMS}
IDENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "contacts": ("external_id", "email", "phone"),
    "orders": ("contact_id", "contact_external_id", "contact_email"),
}


def fold(header: str) -> str:
    """Reduce a header to lower-case letters and digits, so spelling variants compare equal."""
    return re.sub(r"[^0-9a-z]+", "", header.strip().lower())


@dataclass
class ColumnMapping:
    """Target field by column header, plus the headers nothing reads."""

    columns: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)

    def positions(self, headers: list[str]) -> list[tuple[int, str]]:
        """Return (column index, target) pairs; a repeated header name maps only its first column."""
        seen: set[str] = set()
        pairs = []
        for index, header in enumerate(headers):
            target = self.columns.get(header)
            if target and target != IGNORE and header not in seen:
                pairs.append((index, target))
            seen.add(header)
        return pairs

    def targets(self) -> set[str]:
        return {t for t in self.columns.values() if t != IGNORE}


def _lookup(kind: ImportKind, definitions: Iterable[CustomFieldDefinition]) -> dict[str, str]:
    table: dict[str, str] = {}
    for target, names in SYNONYMS[kind].items():
        for name in (target, *names):
            table.setdefault(fold(name), target)
    if kind == "contacts":
        for definition in definitions:
            for name in (definition.key, definition.label):
                table.setdefault(fold(name), CUSTOM_PREFIX + definition.key)
    return table


def detect_mapping(headers: list[str], definitions: Iterable[CustomFieldDefinition],
                   kind: ImportKind) -> ColumnMapping:
    """Guess each column's field from its header; each field is fed by at most one column."""
    table = _lookup(kind, definitions)
    mapping = ColumnMapping()
    for header in headers:
        target = table.get(fold(header))
        if target is None or target in mapping.columns.values() or header in mapping.columns:
            if header not in mapping.columns:
                mapping.unmapped.append(_label(header, headers))
            continue
        mapping.columns[header] = target
    return mapping


def _label(header: str, headers: list[str]) -> str:
    return header if header.strip() else f"(column {headers.index(header) + 1} has no header)"


def valid_targets(kind: ImportKind, definitions: Iterable[CustomFieldDefinition]) -> set[str]:
    """Every target a column may be mapped to."""
    targets = set(SYNONYMS[kind]) | {IGNORE}
    if kind == "contacts":
        targets |= {CUSTOM_PREFIX + d.key for d in definitions}
    return targets


def apply_overrides(mapping: ColumnMapping, overrides: Mapping[str, str], headers: list[str],
                    definitions: list[CustomFieldDefinition], kind: ImportKind) -> ColumnMapping:
    """Apply explicit `column → field` choices on top of the detected mapping."""
    allowed = valid_targets(kind, definitions)
    custom_keys = {d.key for d in definitions} if kind == "contacts" else set()
    columns = dict(mapping.columns)
    for column, raw_target in overrides.items():
        if column not in headers:
            raise InvalidInput(f"The mapping names column {column!r}, which the file does not have "
                               f"(columns: {', '.join(headers)}).")
        target = _resolve_target(raw_target, custom_keys)
        if target not in allowed:
            raise InvalidInput(f"Mapping {column}={raw_target}: unknown field {raw_target!r}; "
                               f"choose one of {', '.join(sorted(allowed))}.")
        if target != IGNORE:
            # The explicit choice takes the field away from any column that had it by detection.
            columns = {h: t for h, t in columns.items() if t != target or h in overrides}
        columns[column] = target
    _check_unique(columns)
    unmapped = [_label(h, headers) for h in headers if h not in columns]
    return ColumnMapping(columns=columns, unmapped=list(dict.fromkeys(unmapped)))


def _resolve_target(raw: str, custom_keys: set[str]) -> str:
    target = raw.strip()
    if target in ("", "-", "none", "skip"):
        return IGNORE
    if target in custom_keys:
        return CUSTOM_PREFIX + target
    return target


def _check_unique(columns: dict[str, str]) -> None:
    seen: dict[str, str] = {}
    for header, target in columns.items():
        if target == IGNORE:
            continue
        if target in seen:
            raise InvalidInput(f"Columns {seen[target]!r} and {header!r} both map to {target}; map only one.")
        seen[target] = header


def require_identity(mapping: ColumnMapping, headers: list[str], kind: ImportKind) -> None:
    """Refuse a mapping that cannot identify the records it would write."""
    targets = mapping.targets()
    found = ", ".join(repr(h) for h in headers) or "none"
    if kind == "orders" and "external_id" not in targets:
        raise InvalidInput(f"No order id column: the file needs a column for the order's external_id "
                           f"(found {found}); map one with --map COLUMN=external_id (API: the mapping field).")
    wanted = IDENTITY_FIELDS[kind]
    if not targets & set(wanted):
        raise InvalidInput(f"No identity column: the file needs a column for {' or '.join(wanted)} "
                           f"(found {found}); map one with --map COLUMN={wanted[-1]} (API: the mapping field).")


def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """Parse `COLUMN=FIELD` strings (the CLI's --map) into a dict."""
    overrides: dict[str, str] = {}
    for option in options:
        column, sep, target = option.rpartition("=")
        if not sep or not column.strip():
            raise InvalidInput(f"--map {option!r}: write it as COLUMN=FIELD, e.g. --map 'E-mail=email'.")
        overrides[column.strip()] = target.strip()
    return overrides
