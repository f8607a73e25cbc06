"""The hand-written side of `bench/segments.py`: for each rule, the count an expert would write in SQL.

Each query answers exactly the question the rule asks (the semantics documented in
`kempen.segments.compiler` and docs/segments*.md), in the shape a person who knows the schema and its
indexes would choose: aggregates grouped straight off the `(workspace_id, contact_id, …)` indexes,
`EXISTS` / `NOT EXISTS` for membership, no join to `contacts` unless a contact column is needed.
Windows, thresholds and names are bound parameters; times are computed in Python from the fixed
"now" (`:d7`, `:d30`, … are `now - 7 days`, …), as the compiler does.

Queries are written for PostgreSQL; where SQLite needs other syntax (JSON) a second text is given.
Orders count when their status is one of `ORDER_STATUSES`; text matches (`contains`, `ends_with`) are
case-insensitive (lower(x) LIKE a lower-case pattern).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# Which orders a purchase aggregate sees; kept in step with the compiler's docstring.
ORDER_STATUSES = ("paid", "fulfilled")
WINDOW_DAYS = (7, 30, 61, 90, 180, 365)


@dataclass(frozen=True)
class HandQuery:
    """One expert count query: PostgreSQL text, optional SQLite text, and its own parameters."""

    postgresql: str
    sqlite: str | None = None  # None: the PostgreSQL text runs unchanged on SQLite
    params: dict[str, Any] = field(default_factory=dict)
    expanding: tuple[str, ...] = ()  # list parameters, rendered as IN (…)

    def sql(self, dialect: str) -> str:
        return self.sqlite if dialect == "sqlite" and self.sqlite is not None else self.postgresql


def common_params(workspace_id: int, now: datetime) -> dict[str, Any]:
    """Parameters every query may use: the workspace, now, window starts `dN` and the order statuses."""
    params: dict[str, Any] = {"ws": workspace_id, "now": now, "statuses": list(ORDER_STATUSES)}
    params.update({f"d{days}": now - timedelta(days=days) for days in WINDOW_DAYS})
    return params


# --- contact columns -------------------------------------------------------------------------------

COUNTRY = HandQuery(
    "SELECT count(*) FROM contacts WHERE workspace_id = :ws AND country = :country",
    params={"country": "MY"})

COUNTRY_STAGE = HandQuery(
    "SELECT count(*) FROM contacts WHERE workspace_id = :ws AND country IN :countries "
    "AND lifecycle_stage = :stage",
    params={"countries": ["MY", "ET", "KE"], "stage": "customer"}, expanding=("countries",))

# Email rules read the normalised (lower-case) address, so ends_with is case-insensitive; `is set` is NOT NULL.
EMAIL_OR_PHONE = HandQuery(
    "SELECT count(*) FROM contacts WHERE workspace_id = :ws "
    "AND (email_normalized LIKE :suffix OR phone IS NOT NULL)",
    params={"suffix": "%@example.com"})

RECENT = HandQuery("SELECT count(*) FROM contacts WHERE workspace_id = :ws AND created_at > :d30")

# --- tags and lists --------------------------------------------------------------------------------

VIP_NOT_PAUSED = HandQuery(
    "SELECT count(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
    "WHERE ct.workspace_id = :ws AND t.workspace_id = :ws AND t.name = :tag "
    "AND NOT EXISTS (SELECT 1 FROM list_memberships lm JOIN contact_lists l ON l.id = lm.list_id "
    "WHERE lm.workspace_id = :ws AND l.workspace_id = :ws AND l.name = :list AND lm.contact_id = ct.contact_id)",
    params={"tag": "vip", "list": "newsletter-paused"})

# --- purchase history ------------------------------------------------------------------------------

ORDERS_90D = HandQuery(
    "SELECT count(*) FROM (SELECT contact_id FROM orders WHERE workspace_id = :ws AND placed_at >= :d90 "
    "AND status IN :statuses GROUP BY contact_id HAVING count(*) >= 2) buyers",
    expanding=("statuses",))

SPENT_365D = HandQuery(
    "SELECT count(*) FROM (SELECT contact_id FROM orders WHERE workspace_id = :ws AND placed_at >= :d365 "
    "AND status IN :statuses GROUP BY contact_id HAVING sum(amount) > 500) buyers",
    expanding=("statuses",))

SHOES_180D = HandQuery(
    "SELECT count(DISTINCT o.contact_id) FROM orders o WHERE o.workspace_id = :ws AND o.placed_at >= :d180 "
    "AND o.status IN :statuses AND EXISTS (SELECT 1 FROM order_items i WHERE i.workspace_id = :ws "
    "AND i.order_id = o.id AND i.category = :category)",
    params={"category": "shoes"}, expanding=("statuses",))

# days_since(last_order) > 60 counts whole days: last_order_at <= now - 61 days.
LAPSED = HandQuery("SELECT count(*) FROM contact_metrics WHERE workspace_id = :ws AND last_order_at <= :d61")

RFM = HandQuery(
    "SELECT count(*) FROM contact_metrics WHERE workspace_id = :ws AND rfm_group IN :groups",
    params={"groups": ["champions", "loyal"]}, expanding=("groups",))

# --- behaviour -------------------------------------------------------------------------------------

PRICING_VIEWS = HandQuery(
    "SELECT count(*) FROM (SELECT contact_id FROM events WHERE workspace_id = :ws AND name = 'page_view' "
    "AND occurred_at >= :d7 AND lower(properties ->> 'url') LIKE :url GROUP BY contact_id HAVING count(*) >= 3) v",
    "SELECT count(*) FROM (SELECT contact_id FROM events WHERE workspace_id = :ws AND name = 'page_view' "
    "AND occurred_at >= :d7 AND lower(json_extract(properties, '$.url')) LIKE :url GROUP BY contact_id "
    "HAVING count(*) >= 3) v",
    params={"url": "%/pricing%"})

SIGNUP_NO_APP = HandQuery(
    "SELECT count(DISTINCT s.contact_id) FROM events s WHERE s.workspace_id = :ws AND s.name = 'signup' "
    "AND NOT EXISTS (SELECT 1 FROM events a WHERE a.workspace_id = :ws AND a.contact_id = s.contact_id "
    "AND a.name = 'app_open')")

CLICKED = HandQuery(
    "SELECT count(DISTINCT contact_id) FROM events WHERE workspace_id = :ws AND name = 'email_click' "
    "AND occurred_at >= :d30 AND properties ->> 'campaign' = :campaign",
    "SELECT count(DISTINCT contact_id) FROM events WHERE workspace_id = :ws AND name = 'email_click' "
    "AND occurred_at >= :d30 AND json_extract(properties, '$.campaign') = :campaign",
    params={"campaign": "spring-sale"})

# --- segments and consent --------------------------------------------------------------------------

# "high-value" is orders.sum(amount, last 365d) > 1000; consent.email is a granted email consent and an
# email address that is set and not on the email suppression list.
HIGH_VALUE_CONSENT = HandQuery(
    "SELECT count(*) FROM (SELECT contact_id FROM orders WHERE workspace_id = :ws AND placed_at >= :d365 "
    "AND status IN :statuses GROUP BY contact_id HAVING sum(amount) > 1000) hv "
    "JOIN consents k ON k.workspace_id = :ws AND k.contact_id = hv.contact_id AND k.channel = 'email' "
    "AND k.status = 'granted' "
    "JOIN contacts c ON c.id = hv.contact_id AND c.workspace_id = :ws AND c.email_normalized IS NOT NULL "
    "WHERE NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = :ws AND s.channel = 'email' "
    "AND s.address = c.email_normalized)",
    expanding=("statuses",))

# --- the combined behavioural rule -----------------------------------------------------------------

_COMBINED = (
    "SELECT count(*) FROM contacts c WHERE c.workspace_id = :ws AND c.country IN :countries "
    "AND EXISTS (SELECT 1 FROM orders o WHERE o.workspace_id = :ws AND o.contact_id = c.id "
    "AND o.placed_at >= :d90 AND o.status IN :statuses) "
    "AND EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = :ws AND e.contact_id = c.id "
    "AND e.name = 'page_view' AND e.occurred_at >= :d30 AND lower({url}) LIKE :url) "
    "AND EXISTS (SELECT 1 FROM events a WHERE a.workspace_id = :ws AND a.contact_id = c.id AND a.name = 'app_open')")
COMBINED = HandQuery(
    _COMBINED.format(url="properties ->> 'url'"),
    _COMBINED.format(url="json_extract(properties, '$.url')"),
    params={"countries": ["MY", "KE"], "url": "%/pricing%"}, expanding=("countries", "statuses"))
