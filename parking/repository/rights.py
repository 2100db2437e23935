"""What parking's tables hold about a person, read for their file and changed to forget them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from parking.models import Inspection, ParkingPass, ParkingSession, Permit, Vehicle


class ParkingRecords:
    def __init__(self, session: Session) -> None:
        self.session = session

    def vehicles(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Vehicle]:
        return self.session.scalars(
            select(Vehicle)
            .where(Vehicle.resident_id.in_(resident_ids))
            .order_by(Vehicle.created_at)
        ).all()

    def permits(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Permit]:
        return self.session.scalars(
            select(Permit).where(Permit.resident_id.in_(resident_ids)).order_by(Permit.created_at)
        ).all()

    def passes(self, permit_ids: Sequence[uuid.UUID]) -> Sequence[ParkingPass]:
        return self.session.scalars(
            select(ParkingPass)
            .where(ParkingPass.permit_id.in_(permit_ids))
            .order_by(ParkingPass.created_at)
        ).all()

    def sessions(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[ParkingSession]:
        return self.session.scalars(
            select(ParkingSession)
            .where(ParkingSession.resident_id.in_(resident_ids))
            .order_by(ParkingSession.started_at)
        ).all()

    def inspections(self, plates: Sequence[str], pass_ids: Sequence[str]) -> Sequence[Inspection]:
        """Inspections of any of these plates or passes, whenever they were made."""
        if not plates and not pass_ids:
            return []
        return self.session.scalars(
            select(Inspection)
            .where(or_(Inspection.plate.in_(plates), Inspection.pass_id.in_(pass_ids)))
            .order_by(Inspection.at, Inspection.id)
        ).all()

    def forget_inspections(self, ids: Sequence[uuid.UUID], now: datetime) -> None:
        if ids:
            self.session.execute(
                update(Inspection)
                .where(Inspection.id.in_(ids))
                .values(plate=None, pass_id=None, anonymised_at=now)
                .execution_options(synchronize_session=False)
            )
