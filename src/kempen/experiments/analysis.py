"""A campaign's variants compared: sufficient statistics in SQL, statistics from `kempen.stats`.

Contract (implemented in a later step).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kempen.experiments.schemas import ExperimentOut, Metric


def analyse_campaign(session: Session, *, workspace_id: int, campaign_id: int, metric: Metric | None = None,
                     until: datetime | None = None, confidence: float = 0.95) -> list[ExperimentOut]:
    """One analysis per message of the campaign that has two or more variants and has sent something."""
    return []
