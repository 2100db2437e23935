"""A household's vehicles: registered, listed, removed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from parking.endpoints.answers import vehicle_out
from parking.endpoints.dependencies import AUTH, Desk
from parking.exceptions import (
    InvalidPlate,
    NoResidentRecord,
    PlateTaken,
    VehicleLimit,
    VehicleNotFound,
    VehicleParked,
)
from parking.schemas import VehicleIn, VehicleOut
from parking.service import vehicles
from parking.settings import ParkingAppSettings
from resident_card.accounts.dependencies import ResidentCaller

router = APIRouter(prefix="/parking", tags=["parking"])


@router.post(
    "/vehicles",
    response_model=VehicleOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, NoResidentRecord, InvalidPlate, PlateTaken, VehicleLimit),
)
def register_vehicle(
    body: VehicleIn,
    caller: ResidentCaller,
    session: DbSession,
    settings: ParkingAppSettings,
    now: Now,
) -> VehicleOut:
    """Register a vehicle I own or use (Israeli plate, 7 or 8 digits); a household has a cap."""
    resident = vehicles.own_resident(session, caller.id)
    vehicle = vehicles.register_vehicle(
        session, settings, resident, plate=body.plate, relation=body.relation, now=now
    )
    return vehicle_out(vehicle, resident.id)


@router.get(
    "/vehicles/me", response_model=list[VehicleOut], responses=responses(*AUTH, NoResidentRecord)
)
def my_vehicles(caller: ResidentCaller, session: DbSession) -> list[VehicleOut]:
    """The vehicles registered by my household."""
    resident = vehicles.own_resident(session, caller.id)
    return [vehicle_out(v, resident.id) for v in vehicles.household_vehicles(session, resident)]


@router.delete(
    "/vehicles/{vehicle_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NoResidentRecord, VehicleNotFound, VehicleParked),
)
def remove_vehicle(
    vehicle_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now, desk: Desk
) -> Response:
    """Remove a vehicle of my household: its permits end and their passes are revoked."""
    resident = vehicles.own_resident(session, caller.id)
    if vehicles.remove_vehicle(session, resident, vehicle_id, now=now):
        desk.cache.feed.changed_here("parking")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
