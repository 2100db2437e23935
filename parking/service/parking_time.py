"""Parking time: the monthly free minutes in the ledger (``PARKING_MIN``), and parking sessions in a
zone or a car park, which use the free minutes first and count the rest as paid time."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import GrantReport, grant_allowance
from benefits.eligibility.service.facts import facts_of
from benefits.ledger.models import Account, OwnerType, Unit
from benefits.ledger.service.accounts import accounts_of_owner, get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from kernel.settings import Settings
from parking.exceptions import (
    NotALot,
    NotAResidentialZone,
    SessionNotFound,
    SessionRunning,
    UnknownZone,
    VehicleNotFound,
)
from parking.models import (
    ParkingSession,
    ParkingZone,
    ZoneKind,
)
from parking.repository import (
    SessionRepository,
    VehicleRepository,
)
from parking.repository.retention import SessionRetentionRepository
from parking.service.calendar import city_time_zone
from parking.service.vehicles import parse_plate
from parking.service.zones import zone_by_code
from resident_card.residents.models import Resident

FREE_MINUTES_PROGRAMME = "parking_free_minutes"
# Where used free minutes go: the city's account of parking time taken.
USED_MINUTES_PURPOSE = "parking_used"


# --- free parking time and sessions -------------------------------------------------------------


def minute_accounts(session: Session, resident_id: uuid.UUID) -> list[Account]:
    """The resident's free-minute accounts: the monthly free minutes first, then other grants."""
    accounts = [
        account
        for account in accounts_of_owner(session, OwnerType.resident, resident_id)
        if account.unit == Unit.PARKING_MIN.value
    ]
    return sorted(accounts, key=lambda a: (a.purpose != FREE_MINUTES_PROGRAMME, a.purpose))


def free_minutes(session: Session, resident: Resident, *, now: datetime) -> int:
    """Free parking minutes the resident may use now."""
    return sum(
        get_balance(session, account.id, now=now).available
        for account in minute_accounts(session, resident.id)
    )


def grant_free_minutes(
    session: Session, resident: Resident, *, now: datetime, settings: Settings
) -> GrantReport:
    """This month's free minutes for one resident, if eligible and not yet granted."""
    zone = city_time_zone(settings)
    facts = facts_of(session, resident, now, zone=zone)
    return grant_allowance(
        session,
        programme_code=FREE_MINUTES_PROGRAMME,
        period=now.astimezone(zone).strftime("%Y-%m"),
        now=now,
        candidates=[(resident.id, facts)],
        zone=zone,
    )


def _place(session: Session, *, zone: str | None, lot: str | None) -> ParkingZone:
    code = zone if zone is not None else lot
    assert code is not None
    found = zone_by_code(session, code)
    if found is None:
        raise UnknownZone(zone=code[:32])
    if zone is not None and found.kind != ZoneKind.residential:
        raise NotAResidentialZone(zone=found.code)
    if lot is not None and found.kind != ZoneKind.lot:
        raise NotALot(zone=found.code)
    return found


def start_session(
    session: Session,
    resident: Resident,
    *,
    plate: str,
    zone: str | None,
    lot: str | None,
    now: datetime,
) -> ParkingSession:
    """Start parking a vehicle of the household in a zone or a municipal car park."""
    digits = parse_plate(plate)
    vehicles = VehicleRepository(session)
    vehicles.lock_household(resident.household_id)
    vehicle = vehicles.registered(digits)
    if vehicle is None or vehicles.in_household(vehicle.id, resident.household_id) is None:
        raise VehicleNotFound()
    place = _place(session, zone=zone, lot=lot)
    repository = SessionRepository(session)
    if repository.running_of_plate(digits) is not None:
        raise SessionRunning()
    try:
        with session.begin_nested():
            return repository.add(
                ParkingSession(
                    resident_id=resident.id,
                    vehicle_id=vehicle.id,
                    plate=digits,
                    zone_id=place.id,
                    started_at=now,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise SessionRunning() from None


def _my_session(session: Session, resident: Resident, session_id: uuid.UUID) -> ParkingSession:
    found = SessionRepository(session).get(session_id)
    if found is None or found.resident_id != resident.id:
        raise SessionNotFound()
    return found


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes parked, a started minute counting as one; never negative."""
    return max(0, math.ceil((end - start).total_seconds() / 60))


def stop_session(
    session: Session, resident: Resident, session_id: uuid.UUID, *, now: datetime
) -> ParkingSession:
    """Stop a session: its minutes come out of the free-minute allowance as far as it goes, and the
    rest is paid time. Stopping again returns the same session: nothing is debited twice."""
    _my_session(session, resident, session_id)
    VehicleRepository(session).lock_household(resident.household_id)
    row = SessionRepository(session).get_for_update(session_id)
    assert row is not None
    if row.stopped_at is not None:
        return row
    minutes = minutes_between(row.started_at, now)
    taken = 0
    postings: list[PostingInput] = []
    for account in minute_accounts(session, resident.id):
        available = get_balance(session, account.id, now=now).available
        take = min(available, minutes - taken)
        if take > 0:
            postings.append(PostingInput(account.id, -take))
            taken += take
        if taken == minutes:
            break
    if taken:
        used = get_or_create_account(
            session,
            owner_type=OwnerType.city,
            owner_id=None,
            purpose=USED_MINUTES_PURPOSE,
            unit=Unit.PARKING_MIN,
        )
        transaction = post_transaction(
            session,
            idempotency_key=f"parking-session:{row.id}",
            kind="parking",
            postings=[*postings, PostingInput(used.id, taken)],
            reference=f"parking_session:{row.id}",
            metadata={"minutes": minutes, "paid_minutes": minutes - taken},
            now=now,
        )
        row.transaction_id = transaction.id
    row.stopped_at = now
    row.minutes = minutes
    row.free_minutes = taken
    row.paid_minutes = minutes - taken
    session.flush()
    return row


def my_sessions(
    session: Session, resident: Resident, *, limit: int = 50
) -> Sequence[ParkingSession]:
    return SessionRepository(session).of_resident(resident.id, limit=limit)


def anonymise_sessions(session: Session, cutoff: datetime, now: datetime) -> int:
    """Sessions stopped before the cutoff lose their vehicle and plate (the retention rule
    ``parking.session_vehicles``); a running session is never touched."""
    return SessionRetentionRepository(session).anonymise_stopped_before(cutoff, now)
