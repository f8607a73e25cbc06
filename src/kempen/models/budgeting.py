"""Budgets per channel and calendar month (issue 7), and the workspace's budget warning threshold.

A monthly budget belongs to a campaign or to a programme (exactly one of the two): the amount planned
on one channel in one calendar month, in the workspace's reporting currency. Actual spend comes from
`campaign_spend` and message costs (planning/budgets.py); nothing actual is stored here.

`alerted_level` remembers the highest warning already raised for the row (0 none, 1 past the
threshold, 2 past the plan), so a warning is audited and announced once, not on every page view.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import Base, BigIntId, created_at_column, updated_at_column, workspace_fk

__all__ = ["DEFAULT_WARN_PERCENT", "CampaignPlannedPeriod", "MonthlyBudget", "WorkspaceBudgetSettings"]

DEFAULT_WARN_PERCENT = Decimal("90")


class MonthlyBudget(Base):
    """The amount planned on one channel in one month for a campaign or a programme."""

    __tablename__ = "monthly_budgets"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    campaign_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("programmes.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(40), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)  # always the first day of the month
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # Warn when actual passes this share of the plan; None: the workspace's threshold.
    warn_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    alerted_level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (
        CheckConstraint("(campaign_id IS NULL) <> (programme_id IS NULL)", name="one_owner"),
        UniqueConstraint("campaign_id", "channel", "month"),
        UniqueConstraint("programme_id", "channel", "month"),
        Index(None, "workspace_id", "month"),
    )


class WorkspaceBudgetSettings(Base):
    """A workspace's budget warning threshold (one row per workspace, created on first change)."""

    __tablename__ = "workspace_budget_settings"

    workspace_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    warn_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=DEFAULT_WARN_PERCENT)
    updated_at: Mapped[datetime] = updated_at_column()


class CampaignPlannedPeriod(Base):
    """The days a campaign is planned to run (its flight), shown on the calendar before anything is sent.

    Kept beside the campaign rather than on it: the plan is a planning concern, and a campaign without
    one simply shows its scheduled, launch and finish times.
    """

    __tablename__ = "campaign_planned_periods"

    campaign_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = workspace_fk()
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive
    updated_at: Mapped[datetime] = updated_at_column()

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
                      Index(None, "workspace_id", "starts_on"))
