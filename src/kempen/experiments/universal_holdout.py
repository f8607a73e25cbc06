"""The workspace's universal holdout: who gets no campaign at all while it runs.

Contract (implemented in a later step): `held_out_mask` says, for sorted contact ids, which are held
out at `at`; an all-False mask when the holdout is disabled or `at` is outside its period.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

IdArray = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


def held_out_mask(session: Session, *, workspace_id: int, contact_ids: IdArray, at: datetime) -> Mask:
    """For each contact id, True when the contact is in the workspace's universal holdout at `at`."""
    return np.zeros(len(contact_ids), dtype=bool)
