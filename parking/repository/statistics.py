"""The queries behind parking's statistics: inspections by zone, month and verdict, and permits by
zone and month, each grouped in one statement."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from figures.window import Window
from parking.models import Inspection, Permit, PermitStatus


class ParkingFiguresRepository:
    """The statistics' sums: inspections by zone, month and verdict, permits by zone and month."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def inspections(self, window: Window) -> list[tuple[str | None, str, str, int]]:
        """(the zone checked in, or None; month; the verdict's reason; inspections)."""
        month = window.month_of(Inspection.at)
        rows = self.session.execute(
            select(Inspection.zone_code, month, Inspection.reason, func.count().label("checks"))
            .where(window.holds(Inspection.at))
            .group_by(Inspection.zone_code, month, Inspection.reason)
        )
        return [(row.zone_code, row.month, row.reason, int(row.checks)) for row in rows]

    def permits_issued(self, window: Window) -> list[tuple[uuid.UUID | None, str, int]]:
        """(zone, month, permits granted in the month)."""
        month = window.month_of(Permit.created_at)
        rows = self.session.execute(
            select(Permit.zone_id, month, func.count().label("permits"))
            .where(window.holds(Permit.created_at), Permit.status != PermitStatus.refused.value)
            .group_by(Permit.zone_id, month)
        )
        return [(row.zone_id, row.month, int(row.permits)) for row in rows]

    def permits_in_force(self, at: datetime) -> dict[uuid.UUID | None, int]:
        """Granted permits in force at this instant (begun, not run out, not ended), by zone."""
        rows = self.session.execute(
            select(Permit.zone_id, func.count().label("permits"))
            .where(
                Permit.status != PermitStatus.refused.value,
                Permit.valid_from <= at,
                or_(Permit.valid_to.is_(None), Permit.valid_to > at),
                or_(Permit.ended_at.is_(None), Permit.ended_at > at),
            )
            .group_by(Permit.zone_id)
        )
        return {row.zone_id: int(row.permits) for row in rows}
