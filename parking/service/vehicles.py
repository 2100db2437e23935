"""Vehicles: a resident's household registers the vehicles it owns or uses (a cap a household),
and removes them; a removed vehicle's permits end."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parking.exceptions import (
    InvalidPlate,
    NoResidentRecord,
    PlateTaken,
    VehicleLimit,
    VehicleNotFound,
    VehicleParked,
)
from parking.models import (
    Permit,
    PermitEnd,
    PermitStatus,
    Vehicle,
    VehicleRelation,
)
from parking.repository import (
    PermitRepository,
    SessionRepository,
    VehicleRepository,
)
from parking.schemas import normalise_plate
from parking.service.passes import end_permit
from parking.settings import ParkingSettings
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents


def parse_plate(text: str) -> str:
    """The plate's digits, or ``invalid_plate``."""
    try:
        return normalise_plate(text)
    except ValueError:
        raise InvalidPlate() from None


def own_resident(session: Session, user_id: uuid.UUID) -> Resident:
    resident = residents.resident_for_user(session, user_id)
    if resident is None:
        raise NoResidentRecord()
    return resident


# --- vehicles -----------------------------------------------------------------------------------


def household_vehicles(session: Session, resident: Resident) -> Sequence[Vehicle]:
    """The vehicles registered by anyone of the resident's household."""
    return VehicleRepository(session).of_household(resident.household_id)


def register_vehicle(
    session: Session,
    settings: ParkingSettings,
    resident: Resident,
    *,
    plate: str,
    relation: VehicleRelation,
    now: datetime,
) -> Vehicle:
    """Register a vehicle the resident owns or uses; it counts for their household."""
    digits = parse_plate(plate)
    repository = VehicleRepository(session)
    repository.lock_household(resident.household_id)
    if repository.registered(digits) is not None:
        raise PlateTaken()
    limit = settings.parking_max_vehicles_per_household
    if repository.count_of_household(resident.household_id) >= limit:
        raise VehicleLimit(limit=limit)
    try:
        with session.begin_nested():  # a plate raced in by another household is a 409 too
            vehicle = repository.add(
                Vehicle(
                    plate=digits,
                    resident_id=resident.id,
                    relation=relation.value,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise PlateTaken() from None
    return vehicle


def household_vehicle(session: Session, resident: Resident, vehicle_id: uuid.UUID) -> Vehicle:
    vehicle = VehicleRepository(session).in_household(vehicle_id, resident.household_id)
    if vehicle is None:
        raise VehicleNotFound()
    return vehicle


def remove_vehicle(
    session: Session, resident: Resident, vehicle_id: uuid.UUID, *, now: datetime
) -> list[Permit]:
    """Remove a vehicle of the household: its permits end and their passes are revoked."""
    repository = VehicleRepository(session)
    repository.lock_household(resident.household_id)
    vehicle = household_vehicle(session, resident, vehicle_id)
    if SessionRepository(session).running_of_plate(vehicle.plate) is not None:
        raise VehicleParked()
    vehicle.removed_at = now
    ended = []
    for permit in PermitRepository(session).in_force_of_vehicle(vehicle.id, now):
        end_permit(session, permit, PermitStatus.ended, PermitEnd.vehicle_removed, now)
        ended.append(permit)
    session.flush()
    return ended
