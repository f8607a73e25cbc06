"""Planning models (issue 7): programmes that group campaigns, and SMART objectives.

A programme (an initiative such as "Spring relaunch") groups campaigns under its own objectives and
total budget and rolls up their figures; a campaign belongs to at most one. Objectives are added by
the planning helper (planning/objectives.py) in migration 0007.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kempen.models.base import Base, BigIntId, created_at_column, updated_at_column, workspace_fk

__all__ = ["Programme"]


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
