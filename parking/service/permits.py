"""Resident parking permits: decided by the eligibility engine on the resident's facts (parking's
own among them: ``parking.plug_ins``), granted for a year with a signed pass, ended when the holder moves
zone, is no longer verified, cancels, or removes the vehicle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.appeals import service as appeals
from benefits.eligibility.models import Decision
from benefits.eligibility.service.decisions import decide, get_decision, list_decisions
from benefits.eligibility.service.facts import facts_of
from kernel.i18n import Named
from kernel.settings import Settings
from parking import notices
from parking.exceptions import (
    PermitAlreadyActive,
    PermitNotActive,
    PermitNotFound,
)
from parking.models import (
    ParkingPass,
    ParkingZone,
    Permit,
    PermitEnd,
    PermitStatus,
)
from parking.repository import (
    PassRepository,
    PermitRepository,
    VehicleRepository,
    ZoneRepository,
)
from parking.service.calendar import city_time_zone, one_year_on
from parking.service.passes import end_permit
from parking.service.vehicles import household_vehicles, parse_plate
from parking.service.zones import address_zone
from parking.settings import ParkingSettings
from resident_card.credentials.jws import new_jti, token_kid
from resident_card.credentials.service import Keyring
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.service import records as residents

PERMIT_PROGRAMME = "resident_parking_permit"
PASS_REISSUED = "reissued"  # noqa: S105 - why a pass was revoked when its permit got a new one

# --- permits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PermitView:
    """A permit application with what a reader needs: its state now, zone, pass and decision."""

    permit: Permit
    state: str
    zone: ParkingZone | None
    parking_pass: ParkingPass | None
    decision: Decision


def permit_state(permit: Permit, now: datetime) -> str:
    """refused, active, expired, cancelled or ended."""
    if permit.status != PermitStatus.granted:
        return permit.status
    assert permit.valid_to is not None
    return "active" if now < permit.valid_to else "expired"


def resident_parking_facts(session: Session, resident: Resident, at: datetime) -> dict[str, object]:
    """What parking knows of a resident for any programme's rule (``/benefits/me``, grants): the
    zone of their address, their household's vehicles (``vehicle_in_household``: at least one is
    registered to them or their household), and the household's permits in force at ``at``."""
    vehicle_count = VehicleRepository(session).count_of_household(resident.household_id)
    zone = address_zone(session, resident)
    return {
        "parking_zone": Named(zone.code, zone.names) if zone is not None else None,
        "vehicle_count": vehicle_count,
        "vehicle_in_household": vehicle_count > 0,
        "household_parking_permits": PermitRepository(session).in_force_count_of_household(
            resident.household_id, at
        ),
    }


def permit_facts(
    session: Session, resident: Resident, plate: str, *, now: datetime, settings: Settings
) -> dict[str, object]:
    """What the resident-permit rule reads when applying for one plate: every fact of the
    resident's, with ``vehicle_in_household`` saying whether *this* vehicle is the household's."""
    facts = facts_of(session, resident, now, zone=city_time_zone(settings))
    vehicles = VehicleRepository(session)
    vehicle = vehicles.registered(plate)
    facts["vehicle_in_household"] = (
        vehicle is not None and vehicles.in_household(vehicle.id, resident.household_id) is not None
    )
    return facts


def apply_for_permit(
    session: Session,
    settings: ParkingSettings,
    keyring: Keyring,
    resident: Resident,
    *,
    plate: str,
    now: datetime,
) -> PermitView:
    """Apply for a permit for a vehicle: the eligibility engine decides, and says why.

    Granted: a permit for the zone of the resident's address, valid for a year, with its signed
    pass. Refused: a refused application the resident can read, with the reasons.
    """
    digits = parse_plate(plate)
    vehicles = VehicleRepository(session)
    vehicles.lock_household(resident.household_id)
    reconcile(session, resident, now=now)
    vehicle = vehicles.registered(digits)
    if vehicle is not None and vehicles.in_household(vehicle.id, resident.household_id) is None:
        vehicle = None
    if vehicle is not None:
        for permit in PermitRepository(session).in_force_of_vehicle(vehicle.id, now):
            zone = ZoneRepository(session).by_id(permit.zone_id) if permit.zone_id else None
            raise PermitAlreadyActive(zone=zone.code if zone else "?")
    zone = address_zone(session, resident)
    facts = permit_facts(session, resident, digits, now=now, settings=settings)
    decision = decide(
        session, programme_code=PERMIT_PROGRAMME, resident_id=resident.id, facts=facts, now=now
    )
    granted = decision.eligible and zone is not None and vehicle is not None
    permit = PermitRepository(session).add(
        Permit(
            resident_id=resident.id,
            vehicle_id=vehicle.id if vehicle is not None else None,
            plate=digits,
            zone_id=zone.id if zone is not None else None,
            status=(PermitStatus.granted if granted else PermitStatus.refused).value,
            decision_id=decision.id,
            valid_from=now if granted else None,
            valid_to=one_year_on(now, settings) if granted else None,
            created_at=now,
        )
    )
    parking_pass = None
    if granted:
        assert zone is not None
        parking_pass = issue_pass(session, settings, keyring, permit, zone, now=now)
    notices.permit_decided(session, settings, permit, decision, zone_found=zone is not None)
    return PermitView(permit, permit_state(permit, now), zone, parking_pass, decision)


def issue_pass(
    session: Session,
    settings: ParkingSettings,
    keyring: Keyring,
    permit: Permit,
    zone: ParkingZone,
    *,
    now: datetime,
) -> ParkingPass:
    """The permit's parking pass: a signed credential of the plate, the zone and the pass id, which
    expires when the permit does. No name, no ID number."""
    assert permit.valid_to is not None
    pass_id = new_jti()
    token = keyring.sign(
        session,
        {"sub": pass_id, "jti": pass_id, "plate": permit.plate, "zone": zone.code},
        audience=settings.parking_pass_audience,
        now=now,
        expires_at=permit.valid_to,
    )
    return PassRepository(session).add(
        ParkingPass(
            pass_id=pass_id,
            permit_id=permit.id,
            plate=permit.plate,
            zone_code=zone.code,
            token=token,
            kid=token_kid(token) or "",
            expires_at=permit.valid_to,
            created_at=now,
        )
    )


def unexpired_passes_signed_by(session: Session, kid: str, now: datetime) -> int:
    """How many passes ``kid`` signed are in force at ``now``: unexpired, not revoked."""
    return PassRepository(session).count_signed_by(kid, unexpired_at=now)


def reissue_passes(
    session: Session, settings: ParkingSettings, keyring: Keyring, *, kid: str, now: datetime
) -> int:
    """Sign afresh, with the key that signs now, every unexpired pass ``kid`` signed: the old pass
    is revoked and the permit gets a new one (the wallet shows it). How many were re-issued."""
    passes = PassRepository(session)
    old_passes = passes.signed_by(kid, unexpired_at=now)
    permits = {p.id: p for p in PermitRepository(session).by_ids({o.permit_id for o in old_passes})}
    zones = ZoneRepository(session).by_ids({p.zone_id for p in permits.values() if p.zone_id})
    for old in old_passes:
        permit = permits[old.permit_id]
        assert permit.zone_id is not None
        old.revoked_at = now
        old.revoked_reason = PASS_REISSUED
        session.flush()
        issue_pass(session, settings, keyring, permit, zones[permit.zone_id], now=now)
        notices.pass_reissued(session, permit)
    return len(old_passes)


def _decisions(session: Session, permits: Sequence[Permit]) -> dict[uuid.UUID, Decision]:
    """The decisions behind permits: one query for each applicant's permit decisions."""
    wanted = {p.decision_id for p in permits}
    found: dict[uuid.UUID, Decision] = {}
    for resident_id in {p.resident_id for p in permits}:
        for decision in list_decisions(
            session, resident_id=resident_id, programme_code=PERMIT_PROGRAMME, limit=1000
        ):
            if decision.id in wanted:
                found[decision.id] = decision
    for missing in wanted - set(found):  # beyond the newest thousand: rare
        found[missing] = get_decision(session, missing)
    return found


def _views(session: Session, permits: Sequence[Permit], now: datetime) -> list[PermitView]:
    if not permits:
        return []
    zones = ZoneRepository(session).by_ids({p.zone_id for p in permits if p.zone_id})
    passes = PassRepository(session).of_permits({p.id for p in permits})
    decisions = _decisions(session, permits)
    return [
        PermitView(
            permit,
            permit_state(permit, now),
            zones.get(permit.zone_id) if permit.zone_id else None,
            passes.get(permit.id),
            decisions[permit.decision_id],
        )
        for permit in permits
    ]


def my_permits(session: Session, resident: Resident, *, now: datetime) -> list[PermitView]:
    """Every permit application of the resident, newest first."""
    return _views(session, PermitRepository(session).of_resident(resident.id), now)


def my_permit(
    session: Session, resident: Resident, permit_id: uuid.UUID, *, now: datetime
) -> PermitView:
    permit = PermitRepository(session).get(permit_id)
    if permit is None or permit.resident_id != resident.id:
        raise PermitNotFound()
    return _views(session, [permit], now)[0]


def cancel_permit(
    session: Session, resident: Resident, permit_id: uuid.UUID, *, now: datetime
) -> PermitView:
    """Give up a permit in force: it is cancelled and its pass revoked."""
    permit = PermitRepository(session).get_for_update(permit_id)
    if permit is None or permit.resident_id != resident.id:
        raise PermitNotFound()
    state = permit_state(permit, now)
    if state != "active":
        raise PermitNotActive(status=state)
    end_permit(session, permit, PermitStatus.cancelled, PermitEnd.cancelled, now)
    session.flush()
    return _views(session, [permit], now)[0]


def active_pass(
    session: Session, resident: Resident, permit_id: uuid.UUID, *, now: datetime
) -> tuple[ParkingPass, ParkingZone]:
    """The pass of one of the resident's permits in force (to print or show)."""
    view = my_permit(session, resident, permit_id, now=now)
    if view.state != "active" or view.parking_pass is None or view.zone is None:
        raise PermitNotActive(status=view.state)
    return view.parking_pass, view.zone


def reconcile(session: Session, resident: Resident, *, now: datetime) -> list[Permit]:
    """End the resident's permits that no longer fit: another zone's (they moved), or any at all
    when their residency is no longer verified. Their passes are revoked."""
    in_force = PermitRepository(session).in_force_of_resident(resident.id, now)
    if not in_force:
        return []
    zone = address_zone(session, resident)
    verified = resident.status == ResidencyStatus.verified
    ended = []
    for permit in in_force:
        if not verified:
            end_permit(session, permit, PermitStatus.ended, PermitEnd.residency, now)
        elif zone is None or permit.zone_id != zone.id:
            end_permit(session, permit, PermitStatus.ended, PermitEnd.moved, now)
        else:
            continue
        ended.append(permit)
    session.flush()
    return ended


def reconcile_everyone(session: Session, *, now: datetime) -> int:
    """``reconcile`` for every resident holding a permit in force; how many permits ended."""
    ended = 0
    for resident_id in PermitRepository(session).residents_with_permits_in_force(now):
        resident = residents.get_resident(session, resident_id)
        if resident is not None:
            ended += len(reconcile(session, resident, now=now))
    return ended


@dataclass(frozen=True)
class Offer:
    zone: ParkingZone
    plates: list[str]


def refused_plates(session: Session, resident: Resident) -> set[str]:
    """The plates whose latest application by this resident was refused, unless a clerk granted
    the appeal against that refusal: the wallet shows the refusal and its appeal, not an offer."""
    latest: dict[str, Permit] = {}
    for permit in PermitRepository(session).of_resident(resident.id):  # newest first
        latest.setdefault(permit.plate, permit)
    refused = {p.plate: p.decision_id for p in latest.values() if p.status == PermitStatus.refused}
    granted = appeals.granted_for(session, list(refused.values()))
    return {plate for plate, decision_id in refused.items() if decision_id not in granted}


def offer_for(session: Session, resident: Resident, *, now: datetime) -> Offer | None:
    """The permit the resident may apply for now: their address's zone, for the household's vehicles
    that have no permit in force there and were not refused one (``refused_plates``)."""
    if resident.status != ResidencyStatus.verified:
        return None
    zone = address_zone(session, resident)
    if zone is None:
        return None
    permits = PermitRepository(session)
    refused = refused_plates(session, resident)
    plates = [
        vehicle.plate
        for vehicle in household_vehicles(session, resident)
        if vehicle.plate not in refused
        and not any(p.zone_id == zone.id for p in permits.in_force_of_vehicle(vehicle.id, now))
    ]
    return Offer(zone, plates) if plates else None


@dataclass(frozen=True)
class Moved:
    zone: ParkingZone | None
    ended: list[PermitView]
    offer: Offer | None


def moved(session: Session, resident: Resident, *, now: datetime) -> Moved:
    """The resident moved: permits for their old zone end, and a permit for the new one is offered."""
    VehicleRepository(session).lock_household(resident.household_id)
    ended = reconcile(session, resident, now=now)
    return Moved(
        address_zone(session, resident),
        _views(session, ended, now),
        offer_for(session, resident, now=now),
    )
