"""The parking records' retention: what the nightly job changes once their days are past."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from parking.models import ParkingSession


class SessionRetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def anonymise_stopped_before(self, cutoff: datetime, now: datetime) -> int:
        """Stopped sessions that ended before the cutoff lose their vehicle and plate."""
        result = self.session.execute(
            update(ParkingSession)
            .where(
                ParkingSession.stopped_at < cutoff,
                ParkingSession.anonymised_at.is_(None),
            )
            .values(plate=None, vehicle_id=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
