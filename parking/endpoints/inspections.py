"""An inspector's check of a vehicle, and the inspection desk it goes through: the process's
inspection cache and the writer that records every check."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from kernel.database import in_own_session, in_own_transaction, own_transaction
from kernel.errors import responses
from kernel.limits.gate import TooManyRequests, spend_async
from kernel.runtime import Runtime, runtime_of
from parking.endpoints.answers import NO_STORE
from parking.endpoints.dependencies import AUTH
from parking.exceptions import (
    InspectionTimeOutOfRange,
    InvalidPlate,
    PlaceOutsideZones,
    UnknownZone,
)
from parking.roles import InspectorCaller
from parking.schemas import InspectionIn, InspectionOut
from parking.service import inspections
from parking.service.calendar import last_valid_day
from parking.settings import ParkingSettings, parking_settings

router = APIRouter(prefix="/parking", tags=["parking"])


def _inspection_writer(
    sessionmaker: Callable[[], Session],
) -> Callable[[list[dict[str, Any]]], None]:
    """A batch of inspections written in a transaction of its own."""

    def write(records: list[dict[str, Any]]) -> None:
        own_transaction(sessionmaker, partial(inspections.record_inspections, records=records))

    return write


@contextmanager
def inspection_desk(runtime: Runtime) -> Iterator[inspections.InspectionDesk]:
    """Parking's part of the runtime: the inspection cache on the process's change feed, and the
    inspection writer, started here and flushed when the process stops."""
    settings = parking_settings(runtime.settings)
    interval = settings.parking_inspection_write_seconds
    desk = inspections.InspectionDesk(
        cache=inspections.InspectionCache(
            runtime.changes, bound=settings.parking_freshness_seconds
        ),
        log=inspections.InspectionLog(
            _inspection_writer(runtime.database.sessionmaker), interval=interval
        ),
        writes_at_once=interval == 0,
    )
    if not desk.writes_at_once:
        desk.log.start()
    try:
        yield desk
    finally:
        desk.log.stop()


@router.post(
    "/inspections",
    response_model=InspectionOut,
    responses=responses(
        *AUTH,
        InvalidPlate,
        UnknownZone,
        PlaceOutsideZones,
        InspectionTimeOutOfRange,
        TooManyRequests,
    ),
)
async def inspect(body: InspectionIn, caller: InspectorCaller, request: Request) -> Response:
    """Check a vehicle: a scanned pass, or a plate at a zone or GPS point; allowed or not, why, for which zone, until when."""
    if body.plate is not None:  # a typed plate; a scanned pass proves itself and is not counted
        await spend_async(request, "plate_inspection", account=str(caller.id))
    runtime = runtime_of(request)
    moment = runtime.changes.clock()
    now = runtime.clock.now()
    desk = runtime.part(inspections.InspectionDesk)
    asked = _asked(body)
    settings = parking_settings(runtime.settings)
    judged = inspections.inspect_in_memory(settings, desk.cache, asked, now=now, moment=moment)
    if judged is None:  # a typed plate, or a piece of the cache to read afresh: in a thread
        judged = await in_own_session(
            runtime.database.sessionmaker,
            partial(_inspect, settings, desk.cache, asked, now, moment),
        )
    record = inspections.inspection_record(judged, asked, inspector_id=caller.id, now=now)
    if desk.writes_at_once:
        await in_own_transaction(
            runtime.database.sessionmaker,
            partial(inspections.record_inspections, records=[record]),
        )
    else:
        desk.log.add(record)
    found = judged.verdict
    answer = InspectionOut(
        allowed=found.allowed,
        reason=found.reason,
        zone=found.zone,
        valid_until=found.valid_until,
        last_valid_day=last_valid_day(found.valid_until, settings) if found.valid_until else None,
    )
    # Written once here, as the response model documents it (a Response is not serialised again).
    return Response(answer.model_dump_json(), media_type="application/json", headers=NO_STORE)


def _asked(body: InspectionIn) -> inspections.InspectionRequest:
    return inspections.InspectionRequest(
        pass_token=body.pass_token,
        plate=body.plate,
        zone=body.zone,
        latitude=body.lat,
        longitude=body.lon,
        at=body.at,
    )


def _inspect(
    settings: ParkingSettings,
    cache: inspections.InspectionCache,
    asked: inspections.InspectionRequest,
    now: datetime,
    moment: float,
    session: Session,
) -> inspections.Judged:
    return inspections.inspect(session, settings, cache, asked, now=now, moment=moment)
