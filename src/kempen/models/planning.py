"""Planning models (issue 7): programmes that group campaigns, and SMART objectives.

A programme (an initiative such as "Spring relaunch") groups campaigns under its own objectives and
total budget and rolls up their figures; a campaign belongs to at most one. Objectives are added by
the planning helper (planning/objectives.py) in migration 0007.

An objective belongs to a campaign or to a programme (exactly one of the two): a metric measured
from tracking and attribution, the baseline it starts from, the target and the deadline. Its
current value is never stored: planning/objectives.py computes it from the reports when asked.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import Base, BigIntId, created_at_column, str_enum, updated_at_column, workspace_fk

__all__ = ["Objective", "ObjectiveMetric", "Programme"]


class ObjectiveMetric(enum.StrEnum):
    """What an objective measures; each maps to one figure of the campaign report (planning/objectives.py)."""

    CONVERSIONS = "conversions"      # every attributed conversion (orders and website conversions), credit shares
    REVENUE = "revenue"              # attributed revenue, in the workspace currency
    NAMED_CONVERSION = "named_conversion"  # attributed conversions of one name, e.g. "lead" or "sign_up"
    CLICKS = "clicks"
    CLICK_RATE = "click_rate"        # a fraction: clicks / delivered
    OPEN_RATE = "open_rate"          # a fraction: opens / delivered
    ROI = "roi"                      # a fraction: (revenue - cost) / cost


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # The total planned for the programme, in the workspace's reporting currency; None: not planned.
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    owner_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (UniqueConstraint("workspace_id", "name"),)


class Objective(Base):
    """A SMART objective of a campaign or of a programme (exactly one of the two is set)."""

    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("programmes.id", ondelete="CASCADE"))
    metric: Mapped[ObjectiveMetric] = mapped_column(str_enum(ObjectiveMetric, "objective_metric"), nullable=False)
    # The conversion's name for NAMED_CONVERSION ("lead", "sign_up"); None for every other metric.
    conversion_name: Mapped[str | None] = mapped_column(String(120))
    # Rates and ROI are fractions (0.03 is 3 %), like the report's figures.
    baseline: Mapped[Decimal] = mapped_column(Numeric(18, 6), nullable=False, default=Decimal("0"))
    target: Mapped[Decimal] = mapped_column(Numeric(18, 6), nullable=False)
    deadline: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # SMART's "relevant": why this objective matters, in the team's words.
    relevance: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        CheckConstraint("(campaign_id IS NULL) <> (programme_id IS NULL)", name="one_owner"),
        Index(None, "workspace_id", "campaign_id"),
        Index(None, "workspace_id", "programme_id"),
    )
