"""Reports with the real attribution service: a conversion after a click is credited to that message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributionModel
from kempen.models import Conversion
from kempen.reporting.report import campaign_report
from tests.reporting.conftest import LAUNCH, Built

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def test_last_touch_credits_the_last_click_before_the_conversion(session: Session, built: Built) -> None:
    # c1 opened (+1 h) and clicked (+3 h) email A and clicked the SMS (+2 h); bought at +4 h.
    session.add(Conversion(workspace_id=built.workspace_id, contact_id=built.contacts["c1"], name="purchase",
                           occurred_at=LAUNCH + timedelta(hours=4), value=Decimal("80.00"), currency="EUR"))
    session.commit()
    report = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id,
                             model=AttributionModel.LAST_TOUCH, now=NOW)
    assert (report.totals.conversions, report.totals.revenue) == (1.0, Decimal("80.00"))
    variants = {row.label: row for row in report.variants}
    assert variants["Newsletter · A"].revenue == Decimal("80.00") and variants["Text · S"].revenue == 0
    assert report.totals.roi == pytest.approx((80 - 30.07) / 30.07)
