"""Parking time: a session started in a zone or car park, stopped (free minutes first), listed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from parking.endpoints.dependencies import AUTH
from parking.exceptions import (
    InvalidPlate,
    NoResidentRecord,
    NotALot,
    NotAResidentialZone,
    SessionNotFound,
    SessionRunning,
    UnknownZone,
    VehicleNotFound,
)
from parking.models import ParkingSession, ParkingZone, ZoneKind
from parking.schemas import SessionOut, SessionStart, show_plate
from parking.service import parking_time, vehicles, zones
from resident_card.accounts.dependencies import ResidentCaller

router = APIRouter(prefix="/parking", tags=["parking"])


def _session_out(row: ParkingSession, zone: ParkingZone) -> SessionOut:
    return SessionOut(
        id=row.id,
        plate=None if row.plate is None else show_plate(row.plate),
        zone=zone.code,
        kind=ZoneKind(zone.kind),
        status="running" if row.stopped_at is None else "stopped",
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        minutes=row.minutes,
        free_minutes=row.free_minutes,
        paid_minutes=row.paid_minutes,
    )


def _sessions_out(session: DbSession, rows: list[ParkingSession]) -> list[SessionOut]:
    zone_of = zones.zone_codes(session, {row.zone_id for row in rows})
    return [_session_out(row, zone_of[row.zone_id]) for row in rows]


@router.post(
    "/sessions",
    response_model=SessionOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH,
        NoResidentRecord,
        InvalidPlate,
        VehicleNotFound,
        UnknownZone,
        NotAResidentialZone,
        NotALot,
        SessionRunning,
    ),
)
def start_session(
    body: SessionStart, caller: ResidentCaller, session: DbSession, now: Now
) -> SessionOut:
    """Start parking a vehicle of my household in a zone or a municipal car park."""
    resident = vehicles.own_resident(session, caller.id)
    row = parking_time.start_session(
        session, resident, plate=body.plate, zone=body.zone, lot=body.lot, now=now
    )
    return _sessions_out(session, [row])[0]


@router.post(
    "/sessions/{session_id}/stop",
    response_model=SessionOut,
    responses=responses(*AUTH, NoResidentRecord, SessionNotFound),
)
def stop_session(
    session_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now
) -> SessionOut:
    """Stop parking: free minutes are used first, the rest is paid time. Stopping twice changes nothing."""
    resident = vehicles.own_resident(session, caller.id)
    row = parking_time.stop_session(session, resident, session_id, now=now)
    return _sessions_out(session, [row])[0]


@router.get(
    "/sessions/me", response_model=list[SessionOut], responses=responses(*AUTH, NoResidentRecord)
)
def my_sessions(caller: ResidentCaller, session: DbSession) -> list[SessionOut]:
    """My parking sessions, newest first."""
    resident = vehicles.own_resident(session, caller.id)
    return _sessions_out(session, list(parking_time.my_sessions(session, resident)))
