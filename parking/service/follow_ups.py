"""Parking follows a resident's move at once: the moved residents' permits are reconciled in the
transaction of the move (a permit for a zone the new address is not in ends, its pass revoked and
the holder told), not at the night's ``toshav parking reconcile``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from parking.service.permits import reconcile
from resident_card.residents.events import Change, ResidentChanges
from resident_card.residents.service import records as residents


def residents_changed(
    session: Session, resident_ids: Sequence[uuid.UUID], change: Change, now: datetime
) -> None:
    """The ``ResidentChanges`` plug-in: reconcile the permits of residents who moved."""
    if change != Change.moved:
        return
    for resident_id in dict.fromkeys(resident_ids):
        resident = residents.get_resident(session, resident_id)
        if resident is not None:
            reconcile(session, resident, now=now)


FOLLOW_UPS = ResidentChanges(changed=residents_changed)
