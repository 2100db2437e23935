"""The city's parking zones and municipal car parks: the list, the zone of a point, one zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from kernel.database import DbSession
from kernel.errors import responses
from parking.endpoints.answers import zone_out
from parking.exceptions import NoZoneHere, ZoneNotFound
from parking.schemas import Names, ZoneDetailOut, ZoneOut, ZoneRangeOut
from parking.service.zones import list_zones, zone_at_point, zone_by_code, zone_streets

router = APIRouter(prefix="/parking", tags=["parking"])


@router.get("/zones", response_model=list[ZoneOut])
def zones(
    session: DbSession,
    neighbourhood: Annotated[
        str | None,
        Query(max_length=32, description="Only the zones of this neighbourhood (its code)."),
    ] = None,
) -> list[ZoneOut]:
    """The city's parking zones and municipal car parks, named in three languages, with outlines."""
    return [zone_out(zone) for zone in list_zones(session, neighbourhood)]


@router.get("/zones/at", response_model=ZoneOut, responses=responses(NoZoneHere))
def zone_at(
    session: DbSession,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
) -> ZoneOut:
    """The zone (or car park) a GPS point lies in."""
    zone = zone_at_point(session, lon, lat)
    if zone is None:
        raise NoZoneHere()
    return zone_out(zone)


@router.get("/zones/{code}", response_model=ZoneDetailOut, responses=responses(ZoneNotFound))
def zone(code: Annotated[str, Path(max_length=32)], session: DbSession) -> ZoneDetailOut:
    """One zone, with the street ranges that lie in it."""
    found = zone_by_code(session, code)
    if found is None:
        raise ZoneNotFound()
    return ZoneDetailOut(
        **zone_out(found).model_dump(),
        streets=[
            ZoneRangeOut(
                street_code=street.code,
                street=Names(**street.names),
                from_number=row.from_number,
                to_number=row.to_number,
                parity=row.parity,
            )
            for row, street in zone_streets(session, found)
        ],
    )
