"""Parking over HTTP: zones, a resident's vehicles, permits, passes and parking time, and the
inspector's checks, revocation list and offline bundle."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from kernel.clock import Now
from kernel.database import DbSession, in_own_session
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, responses
from kernel.i18n import Language, negotiate
from kernel.runtime import Runtime, runtime_of
from kernel.settings import AppSettings
from parking import service
from parking.exceptions import (
    InspectionTimeOutOfRange,
    InvalidPlate,
    InvalidSince,
    NoResidentRecord,
    NotALot,
    NotAResidentialZone,
    NoZoneHere,
    PermitAlreadyActive,
    PermitNotActive,
    PermitNotFound,
    PlaceOutsideZones,
    PlateTaken,
    SessionNotFound,
    SessionRunning,
    UnknownZone,
    VehicleLimit,
    VehicleNotFound,
    VehicleParked,
    ZoneNotFound,
)
from parking.models import ParkingSession, ParkingZone, Vehicle, VehicleRelation, ZoneKind
from parking.schemas import (
    BundleZoneOut,
    DecisionReasonOut,
    InspectionIn,
    InspectionOut,
    InspectionRecordOut,
    MinutesOut,
    MovedOut,
    Names,
    OfferOut,
    OfflineBundleOut,
    ParkingMeOut,
    PermitApply,
    PermitOut,
    RevocationsOut,
    RevokedPassOut,
    SessionOut,
    SessionStart,
    VehicleIn,
    VehicleOut,
    ZoneDetailOut,
    ZoneOut,
    ZoneRangeOut,
    show_plate,
)
from parking.settings import ParkingAppSettings, ParkingSettings, parking_settings
from resident_card.accounts.dependencies import (
    Caller,
    ResidentCaller,
    StaffReader,
    require_roles,
)
from resident_card.accounts.models import Role
from resident_card.credentials.dependencies import AppKeyring
from resident_card.credentials.exceptions import NoSigningKey, SigningKeyUnreadable
from resident_card.credentials.qr import qr_png, qr_svg

router = APIRouter(prefix="/parking", tags=["parking"])

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
NO_STORE = {"Cache-Control": "no-store"}
InspectorCaller = Annotated[Caller, Depends(require_roles(Role.inspector))]
ZoneCode = Annotated[str, Query(min_length=1, max_length=32)]


def _inspection_writer(
    sessionmaker: Callable[[], Session],
) -> Callable[[list[dict[str, Any]]], None]:
    """A batch of inspections written in a transaction of its own."""

    def write(records: list[dict[str, Any]]) -> None:
        with sessionmaker() as session:
            service.record_inspections(session, records)
            session.commit()

    return write


@contextmanager
def inspection_desk(runtime: Runtime) -> Iterator[service.InspectionDesk]:
    """Parking's part of the runtime: the inspection cache on the process's change feed, and the
    inspection writer, started here and flushed when the process stops."""
    settings = parking_settings(runtime.settings)
    interval = settings.parking_inspection_write_seconds
    desk = service.InspectionDesk(
        cache=service.InspectionCache(runtime.changes, bound=settings.parking_freshness_seconds),
        log=service.InspectionLog(
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


async def the_desk(request: Request) -> service.InspectionDesk:
    return runtime_of(request).part(service.InspectionDesk)


Desk = Annotated[service.InspectionDesk, Depends(the_desk)]


async def the_runtime(request: Request) -> Runtime:
    return runtime_of(request)


AppRuntime = Annotated[Runtime, Depends(the_runtime)]


async def request_language(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


RequestLanguage = Annotated[Language, Depends(request_language)]


# --- shaping answers ----------------------------------------------------------------------------


def _names(zone: ParkingZone) -> Names:
    return Names(**zone.names)


def _zone_out(zone: ParkingZone) -> ZoneOut:
    return ZoneOut(
        code=zone.code, kind=ZoneKind(zone.kind), names=_names(zone), geometry=zone.geometry
    )


def _vehicle_out(vehicle: Vehicle, caller_resident_id: uuid.UUID) -> VehicleOut:
    return VehicleOut(
        id=vehicle.id,
        plate=show_plate(vehicle.plate),
        relation=VehicleRelation(vehicle.relation),
        registered_at=vehicle.created_at,
        registered_by_me=vehicle.resident_id == caller_resident_id,
    )


def _permit_out(view: service.PermitView, language: Language) -> PermitOut:
    permit = view.permit
    active = view.state == "active" and view.parking_pass is not None
    return PermitOut(
        id=permit.id,
        status=view.state,
        end_reason=permit.end_reason,
        plate=show_plate(permit.plate),
        zone=view.zone.code if view.zone else None,
        zone_name=view.zone.name(language) if view.zone else None,
        valid_from=permit.valid_from,
        valid_until=permit.valid_to,
        pass_id=view.parking_pass.pass_id if view.parking_pass else None,
        pass_token=view.parking_pass.token if active and view.parking_pass else None,
        applied_at=permit.created_at,
        decision_id=view.decision.id,
        reasons=[
            DecisionReasonOut(
                kind=reason.kind,
                outcome=reason.outcome,
                fact=reason.fact,
                text=reason.text[language],
            )
            for reason in view.decision.reason_list()
        ],
    )


def _offer_out(offer: service.Offer | None, language: Language) -> OfferOut | None:
    if offer is None:
        return None
    return OfferOut(
        zone=offer.zone.code,
        zone_name=offer.zone.name(language),
        plates=[show_plate(plate) for plate in offer.plates],
    )


def _session_out(row: ParkingSession, zone: ParkingZone) -> SessionOut:
    return SessionOut(
        id=row.id,
        plate=show_plate(row.plate),
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
    zones = service.zone_codes(session, {row.zone_id for row in rows})
    return [_session_out(row, zones[row.zone_id]) for row in rows]


def _cached_json(request: Request, body: bytes, cache_control: str) -> Response:
    """A JSON answer with an ETag of its bytes; ``304`` when the caller already has them."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": cache_control, "ETag": etag, "Access-Control-Allow-Origin": "*"}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


# --- inspection -------------------------------------------------------------------------------


@router.post(
    "/inspections",
    response_model=InspectionOut,
    responses=responses(
        *AUTH, InvalidPlate, UnknownZone, PlaceOutsideZones, InspectionTimeOutOfRange
    ),
)
async def inspect(
    body: InspectionIn,
    caller: InspectorCaller,
    desk: Desk,
    runtime: AppRuntime,
    now: Now,
    response: Response,
) -> InspectionOut:
    """Check a vehicle: a scanned pass, or a plate at a zone or GPS point; allowed or not, why, for which zone, until when."""
    response.headers["Cache-Control"] = "no-store"
    moment = runtime.changes.clock()
    asked = _asked(body)
    settings = parking_settings(runtime.settings)
    judged = service.inspect_in_memory(settings, desk.cache, asked, now=now, moment=moment)
    if judged is None:  # a typed plate, or a piece of the cache to read afresh: in a thread
        judged = await in_own_session(
            runtime.database.sessionmaker,
            partial(_inspect, settings, desk.cache, asked, now, moment),
        )
    record = service.inspection_record(judged, asked, inspector_id=caller.id, now=now)
    if desk.writes_at_once:
        await in_own_session(runtime.database.sessionmaker, partial(_record_now, [record]))
    else:
        desk.log.add(record)
    found = judged.verdict
    return InspectionOut(
        allowed=found.allowed, reason=found.reason, zone=found.zone, valid_until=found.valid_until
    )


def _asked(body: InspectionIn) -> service.InspectionRequest:
    return service.InspectionRequest(
        pass_token=body.pass_token,
        plate=body.plate,
        zone=body.zone,
        latitude=body.lat,
        longitude=body.lon,
        at=body.at,
    )


def _inspect(
    settings: ParkingSettings,
    cache: service.InspectionCache,
    asked: service.InspectionRequest,
    now: datetime,
    moment: float,
    session: Session,
) -> service.Judged:
    return service.inspect(session, settings, cache, asked, now=now, moment=moment)


def _record_now(records: list[dict[str, Any]], session: Session) -> None:
    service.record_inspections(session, records)
    session.commit()


# --- zones --------------------------------------------------------------------------------------


@router.get("/zones", response_model=list[ZoneOut])
def zones(session: DbSession) -> list[ZoneOut]:
    """The city's parking zones and municipal car parks, named in three languages, with outlines."""
    return [_zone_out(zone) for zone in service.list_zones(session)]


@router.get("/zones/at", response_model=ZoneOut, responses=responses(NoZoneHere))
def zone_at(
    session: DbSession,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
) -> ZoneOut:
    """The zone (or car park) a GPS point lies in."""
    zone = service.zone_at_point(session, lon, lat)
    if zone is None:
        raise NoZoneHere()
    return _zone_out(zone)


@router.get("/zones/{code}", response_model=ZoneDetailOut, responses=responses(ZoneNotFound))
def zone(code: Annotated[str, Path(max_length=32)], session: DbSession) -> ZoneDetailOut:
    """One zone, with the street ranges that lie in it."""
    found = service.zone_by_code(session, code)
    if found is None:
        raise ZoneNotFound()
    return ZoneDetailOut(
        **_zone_out(found).model_dump(),
        streets=[
            ZoneRangeOut(
                street_code=street.code,
                street=Names(**street.names),
                from_number=row.from_number,
                to_number=row.to_number,
                parity=row.parity,
            )
            for row, street in service.zone_streets(session, found)
        ],
    )


# --- the resident's parking ---------------------------------------------------------------------


@router.get("/me", response_model=ParkingMeOut, responses=responses(*AUTH, NoResidentRecord))
def my_parking(
    caller: ResidentCaller, session: DbSession, now: Now, language: RequestLanguage
) -> ParkingMeOut:
    """My parking: my address's zone, my household's vehicles, my permits, what I may apply for, and my free minutes."""
    resident = service.own_resident(session, caller.id)
    zone = service.address_zone(session, resident)
    return ParkingMeOut(
        zone=zone.code if zone else None,
        zone_name=zone.name(language) if zone else None,
        vehicles=[
            _vehicle_out(v, resident.id) for v in service.household_vehicles(session, resident)
        ],
        permits=[_permit_out(v, language) for v in service.my_permits(session, resident, now=now)],
        offer=_offer_out(service.offer_for(session, resident, now=now), language),
        free_minutes=service.free_minutes(session, resident, now=now),
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
    desk: Desk,
) -> MovedOut:
    """I moved: permits for my old zone end (their passes are revoked), and a permit for my new zone is offered."""
    resident = service.own_resident(session, caller.id)
    result = service.moved(session, resident, now=now)
    if result.ended:
        desk.cache.feed.changed_here("parking")
    return MovedOut(
        zone=result.zone.code if result.zone else None,
        ended=[_permit_out(view, language) for view in result.ended],
        offer=_offer_out(result.offer, language),
    )


@router.get("/me/minutes", response_model=MinutesOut, responses=responses(*AUTH, NoResidentRecord))
def my_minutes(caller: ResidentCaller, session: DbSession, now: Now) -> MinutesOut:
    """My free parking minutes left to use now."""
    resident = service.own_resident(session, caller.id)
    return MinutesOut(available=service.free_minutes(session, resident, now=now))


# --- vehicles -----------------------------------------------------------------------------------


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
    resident = service.own_resident(session, caller.id)
    vehicle = service.register_vehicle(
        session, settings, resident, plate=body.plate, relation=body.relation, now=now
    )
    return _vehicle_out(vehicle, resident.id)


@router.get(
    "/vehicles/me", response_model=list[VehicleOut], responses=responses(*AUTH, NoResidentRecord)
)
def my_vehicles(caller: ResidentCaller, session: DbSession) -> list[VehicleOut]:
    """The vehicles registered by my household."""
    resident = service.own_resident(session, caller.id)
    return [_vehicle_out(v, resident.id) for v in service.household_vehicles(session, resident)]


@router.delete(
    "/vehicles/{vehicle_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NoResidentRecord, VehicleNotFound, VehicleParked),
)
def remove_vehicle(
    vehicle_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now, desk: Desk
) -> Response:
    """Remove a vehicle of my household: its permits end and their passes are revoked."""
    resident = service.own_resident(session, caller.id)
    if service.remove_vehicle(session, resident, vehicle_id, now=now):
        desk.cache.feed.changed_here("parking")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- permits ------------------------------------------------------------------------------------


@router.post(
    "/permits",
    response_model=PermitOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH,
        NoResidentRecord,
        InvalidPlate,
        PermitAlreadyActive,
        NoSigningKey,
        SigningKeyUnreadable,
    ),
)
def apply_for_permit(
    body: PermitApply,
    caller: ResidentCaller,
    session: DbSession,
    settings: ParkingAppSettings,
    keyring: AppKeyring,
    now: Now,
    language: RequestLanguage,
    desk: Desk,
) -> PermitOut:
    """Apply for a resident parking permit: granted (with its pass) or refused, with the reasons either way."""
    resident = service.own_resident(session, caller.id)
    view = service.apply_for_permit(session, settings, keyring, resident, plate=body.plate, now=now)
    desk.cache.feed.changed_here("parking")  # applying ends the permits of a zone the resident left
    return _permit_out(view, language)


@router.get(
    "/permits/me", response_model=list[PermitOut], responses=responses(*AUTH, NoResidentRecord)
)
def my_permits(
    caller: ResidentCaller, session: DbSession, now: Now, language: RequestLanguage
) -> list[PermitOut]:
    """My permits and applications, newest first: zone, plate, validity, status, and the pass of each one in force."""
    resident = service.own_resident(session, caller.id)
    return [_permit_out(view, language) for view in service.my_permits(session, resident, now=now)]


@router.get(
    "/permits/{permit_id}",
    response_model=PermitOut,
    responses=responses(*AUTH, NoResidentRecord, PermitNotFound),
)
def my_permit(
    permit_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
) -> PermitOut:
    """One of my permits, with the decision's reasons."""
    resident = service.own_resident(session, caller.id)
    return _permit_out(service.my_permit(session, resident, permit_id, now=now), language)


@router.post(
    "/permits/{permit_id}/cancel",
    response_model=PermitOut,
    responses=responses(*AUTH, NoResidentRecord, PermitNotFound, PermitNotActive),
)
def cancel_permit(
    permit_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
    desk: Desk,
) -> PermitOut:
    """Cancel one of my permits: its pass is revoked at once."""
    resident = service.own_resident(session, caller.id)
    view = service.cancel_permit(session, resident, permit_id, now=now)
    desk.cache.feed.changed_here("parking")
    return _permit_out(view, language)


PASS_ERRORS = (*AUTH, NoResidentRecord, PermitNotFound, PermitNotActive)


@router.get(
    "/permits/{permit_id}/pass.png",
    response_class=Response,
    responses={
        **responses(*PASS_ERRORS),
        200: {"content": {"image/png": {}}, "description": "The pass's QR code."},
    },
)
def pass_png(
    permit_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now
) -> Response:
    """The QR code of my permit's parking pass (PNG)."""
    resident = service.own_resident(session, caller.id)
    parking_pass, _zone = service.active_pass(session, resident, permit_id, now=now)
    return Response(content=qr_png(parking_pass.token), media_type="image/png", headers=NO_STORE)


@router.get(
    "/permits/{permit_id}/pass.svg",
    response_class=Response,
    responses={
        **responses(*PASS_ERRORS),
        200: {"content": {"image/svg+xml": {}}, "description": "The pass's QR code."},
    },
)
def pass_svg(
    permit_id: uuid.UUID, caller: ResidentCaller, session: DbSession, now: Now
) -> Response:
    """The QR code of my permit's parking pass (SVG)."""
    resident = service.own_resident(session, caller.id)
    parking_pass, _zone = service.active_pass(session, resident, permit_id, now=now)
    return Response(
        content=qr_svg(parking_pass.token), media_type="image/svg+xml", headers=NO_STORE
    )


@router.get(
    "/permits/{permit_id}/pass.pdf",
    response_class=Response,
    responses={
        **responses(*PASS_ERRORS),
        200: {"content": {"application/pdf": {}}, "description": "One A6 page to print."},
    },
)
def pass_pdf(
    permit_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """My parking pass to print and lay behind the windscreen: one A6 page with the QR, plate, zone and end date."""
    resident = service.own_resident(session, caller.id)
    parking_pass, found = service.active_pass(session, resident, permit_id, now=now)
    return Response(
        content=service.pass_pdf(parking_pass, found, settings=settings),
        media_type="application/pdf",
        headers={
            **NO_STORE,
            "Content-Disposition": f'inline; filename="parking-pass-{parking_pass.plate}.pdf"',
        },
    )


# --- parking time -------------------------------------------------------------------------------


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
    resident = service.own_resident(session, caller.id)
    row = service.start_session(
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
    resident = service.own_resident(session, caller.id)
    row = service.stop_session(session, resident, session_id, now=now)
    return _sessions_out(session, [row])[0]


@router.get(
    "/sessions/me", response_model=list[SessionOut], responses=responses(*AUTH, NoResidentRecord)
)
def my_sessions(caller: ResidentCaller, session: DbSession) -> list[SessionOut]:
    """My parking sessions, newest first."""
    resident = service.own_resident(session, caller.id)
    return _sessions_out(session, list(service.my_sessions(session, resident)))


# --- inspection records, revocations and the offline bundle --------------------------------------


@router.get(
    "/inspections",
    response_model=list[InspectionRecordOut],
    responses=responses(*AUTH),
)
def inspections(
    caller: StaffReader,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    inspector_id: uuid.UUID | None = None,
) -> list[InspectionRecordOut]:
    """The inspections recorded, newest first (the plate is gone once the retention period is over)."""
    return [
        InspectionRecordOut(
            id=row.id,
            inspector_id=row.inspector_id,
            at=row.at,
            method=row.method,
            plate=show_plate(row.plate) if row.plate else None,
            zone=row.zone_code,
            lat=row.latitude,
            lon=row.longitude,
            allowed=row.allowed,
            reason=row.reason,
            anonymised=row.anonymised_at is not None,
        )
        for row in service.inspections(
            session, limit=limit, offset=offset, inspector_id=inspector_id
        )
    ]


def _revoked_out(rows: list[service.RevokedPass]) -> list[RevokedPassOut]:
    return [
        RevokedPassOut(pass_id=r.pass_id, revoked_at=r.revoked_at, expires_at=r.expires_at)
        for r in rows
    ]


@router.get(
    "/revocations",
    response_model=RevocationsOut,
    responses={
        **responses(InvalidSince),
        304: {"description": "Not modified (If-None-Match matched the ETag)"},
    },
)
def revocations(
    request: Request,
    session: DbSession,
    now: Now,
    since: Annotated[str | None, Query(max_length=40, description="ISO 8601, with a zone")] = None,
) -> Response:
    """Revoked parking passes not yet expired (public; cache it for a minute and ask with ``since``)."""
    moment: datetime | None = None
    if since is not None:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise InvalidSince() from None
        if moment.tzinfo is None:
            raise InvalidSince()
    rows, next_since = service.revocations(session, since=moment, now=now)
    body = RevocationsOut(revoked=_revoked_out(rows), next_since=next_since)
    return _cached_json(request, body.model_dump_json().encode(), "public, max-age=60")


@router.get("/offline-bundle", response_model=OfflineBundleOut, responses=responses(*AUTH))
def offline_bundle(
    caller: InspectorCaller, session: DbSession, settings: ParkingAppSettings, now: Now
) -> OfflineBundleOut:
    """All an inspector's device needs to judge passes with no network: keys, revocations, zones, and when to refresh."""
    bundle = service.offline_bundle(session, settings, now=now)
    return OfflineBundleOut(
        jwks=bundle.jwks,
        retired_kids=bundle.retired_kids,
        audience=bundle.audience,
        leeway_seconds=bundle.leeway_seconds,
        revoked=_revoked_out(bundle.revoked),
        zones=[
            BundleZoneOut(code=z.code, kind=ZoneKind(z.kind), names=_names(z), geometry=z.geometry)
            for z in bundle.zones
        ],
        issued_at=bundle.issued_at,
        expires_at=bundle.expires_at,
    )
