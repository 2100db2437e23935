"""A resident's own parking: the overview, moving house, and the free minutes left."""

from __future__ import annotations

from fastapi import APIRouter

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from parking.endpoints.answers import offer_out, permit_out, vehicle_out
from parking.endpoints.dependencies import AUTH, Desk
from parking.exceptions import NoResidentRecord
from parking.schemas import MinutesOut, MovedOut, ParkingMeOut
from parking.service import parking_time, permits, vehicles, zones
from parking.settings import ParkingAppSettings
from resident_card.accounts.dependencies import ResidentCaller

router = APIRouter(prefix="/parking", tags=["parking"])


@router.get("/me", response_model=ParkingMeOut, responses=responses(*AUTH, NoResidentRecord))
def my_parking(
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
    settings: ParkingAppSettings,
) -> ParkingMeOut:
    """My parking: my address's zone, my household's vehicles, my permits, what I may apply for, and my free minutes."""
    resident = vehicles.own_resident(session, caller.id)
    zone = zones.address_zone(session, resident)
    return ParkingMeOut(
        zone=zone.code if zone else None,
        zone_name=zone.name(language) if zone else None,
        vehicles=[
            vehicle_out(v, resident.id) for v in vehicles.household_vehicles(session, resident)
        ],
        permits=[
            permit_out(v, language, settings)
            for v in permits.my_permits(session, resident, now=now)
        ],
        offer=offer_out(permits.offer_for(session, resident, now=now), language),
        free_minutes=parking_time.free_minutes(session, resident, now=now),
    )


@router.post(
    "/me/moved",
    response_model=MovedOut,
    responses=responses(*AUTH, NoResidentRecord),
)
def i_moved(
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
    settings: ParkingAppSettings,
    desk: Desk,
) -> MovedOut:
    """I moved: permits for my old zone end (their passes are revoked), and a permit for my new zone is offered."""
    resident = vehicles.own_resident(session, caller.id)
    result = permits.moved(session, resident, now=now)
    if result.ended:
        desk.cache.feed.changed_here("parking")
    return MovedOut(
        zone=result.zone.code if result.zone else None,
        ended=[permit_out(view, language, settings) for view in result.ended],
        offer=offer_out(result.offer, language),
    )


@router.get("/me/minutes", response_model=MinutesOut, responses=responses(*AUTH, NoResidentRecord))
def my_minutes(caller: ResidentCaller, session: DbSession, now: Now) -> MinutesOut:
    """My free parking minutes left to use now."""
    resident = vehicles.own_resident(session, caller.id)
    return MinutesOut(available=parking_time.free_minutes(session, resident, now=now))
