"""Parking's rules: zones, vehicles, permits decided by the eligibility engine, signed passes, free
parking time in the ledger, parking sessions, and inspections. Never commits: the caller does.

Importing this module registers the facts the resident-permit rule reads (``parking_zone``,
``vehicle_count``, ``vehicle_in_household``, ``household_parking_permits``) with the engine, and
``resident_parking_facts`` as a source of them, so every decision about a resident (``/benefits/me``,
the monthly grants) is made with them.

Moving house: a permit is for the zone of the holder's address. When the address on record is no
longer in that zone (the registry or a clerk changed it), or the residency is no longer verified,
``reconcile`` ends the permit and revokes its pass, and the resident is offered a permit for the
zone of the new address. It runs when the resident says so (``POST /parking/me/moved``), before
every application, and for everyone by ``toshav parking reconcile`` (run it after a registry import).
"""

from __future__ import annotations

import atexit
import csv
import io
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont, features
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits.eligibility import service as eligibility
from benefits.eligibility.models import Decision
from benefits.eligibility.rules import register_fact
from benefits.ledger import service as ledger
from benefits.ledger.models import Account, OwnerType, Unit
from benefits.ledger.service import PostingInput
from parking.exceptions import (
    InspectionTimeOutOfRange,
    InvalidPlate,
    NoResidentRecord,
    NotALot,
    NotAResidentialZone,
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
    ZonesFileInvalid,
)
from parking.models import (
    Inspection,
    InspectionMethod,
    ParkingPass,
    ParkingSession,
    ParkingZone,
    Permit,
    PermitEnd,
    PermitStatus,
    Vehicle,
    VehicleRelation,
    ZoneKind,
    ZoneStreetRange,
)
from parking.offline import Reason, Verdict, geometry_problem, judge_pass, verdict, zone_at
from parking.repository import (
    InspectionRepository,
    PassRepository,
    PermitRepository,
    SessionRepository,
    VehicleRepository,
    ZoneRepository,
)
from parking.schemas import normalise_plate, show_plate
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import b64url_decode, new_jti, public_key_for
from resident_card.credentials.qr import qr_modules
from resident_card.credentials.service import Keyring
from resident_card.i18n import Language
from resident_card.residents import service as residents
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.settings import Settings

PERMIT_PROGRAMME = "resident_parking_permit"
FREE_MINUTES_PROGRAMME = "parking_free_minutes"
# Where used free minutes go: the city's account of parking time taken.
USED_MINUTES_PURPOSE = "parking_used"
DATA_FOLDER = Path(__file__).resolve().parent / "data"
MAX_INSPECTION_AGE = timedelta(days=7)
INSPECTION_CLOCK_SKEW = timedelta(minutes=5)
REVOCATIONS_OVERLAP = timedelta(minutes=1)

logger = logging.getLogger("toshav.parking")

register_fact(
    "parking_zone",
    str,
    {"he": "אזור חניה", "ar": "منطقة الوقوف", "en": "parking zone"},
    nullable=True,
)
register_fact(
    "vehicle_count",
    int,
    {"he": "רכבים במשק הבית", "ar": "مركبات الأسرة", "en": "household vehicles"},
)
register_fact(
    "vehicle_in_household",
    bool,
    {
        "he": "הרכב רשום לתושב או למשק הבית",
        "ar": "المركبة مسجلة للمقيم أو لأسرته",
        "en": "vehicle registered to the resident or household",
    },
)
register_fact(
    "household_parking_permits",
    int,
    {
        "he": "תווי חניה בתוקף במשק הבית",
        "ar": "تصاريح الوقوف السارية للأسرة",
        "en": "household parking permits in force",
    },
)


def parse_plate(text: str) -> str:
    """The plate's digits, or ``invalid_plate``."""
    try:
        return normalise_plate(text)
    except ValueError:
        raise InvalidPlate() from None


def _city_zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.city_time_zone)


# --- zones --------------------------------------------------------------------------------------


def list_zones(session: Session) -> Sequence[ParkingZone]:
    return ZoneRepository(session).every()


def zone_by_code(session: Session, code: str) -> ParkingZone | None:
    return ZoneRepository(session).by_code(code)


def zone_streets(session: Session, zone: ParkingZone) -> Sequence[tuple[ZoneStreetRange, Any]]:
    return ZoneRepository(session).ranges_of(zone.id)


def _covers(row: ZoneStreetRange, house_number: int) -> bool:
    if not row.from_number <= house_number <= row.to_number:
        return False
    if row.parity == "odd":
        return house_number % 2 == 1
    if row.parity == "even":
        return house_number % 2 == 0
    return True


def zone_for_address(
    session: Session, street_id: uuid.UUID, house_number: int
) -> ParkingZone | None:
    """The residential zone of an address. One side of a street beats both; a narrower range a wider."""
    repository = ZoneRepository(session)
    covering = [
        r for r in repository.ranges_covering(street_id, house_number) if _covers(r, house_number)
    ]
    if not covering:
        return None
    best = min(
        covering, key=lambda r: (r.parity == "all", r.to_number - r.from_number, r.from_number)
    )
    zone = repository.by_id(best.zone_id)
    return zone if zone is not None and zone.kind == ZoneKind.residential else None


def zone_at_point(session: Session, longitude: float, latitude: float) -> ParkingZone | None:
    """The zone whose outline holds a GPS point (the narrowest, where a car park lies in a zone)."""
    zones = list_zones(session)
    code = zone_at(((z.code, z.geometry) for z in zones), longitude, latitude)
    return next((z for z in zones if z.code == code), None)


# --- loading the zones --------------------------------------------------------------------------

ZONE_COLUMNS = (
    "zone_code",
    "kind",
    "name_he",
    "name_ar",
    "name_en",
    "street_code",
    "from_number",
    "to_number",
    "parity",
)
REQUIRED_ZONE_COLUMNS = ("zone_code", "name_he", "name_ar", "name_en", "street_code")
MAX_HOUSE_NUMBER = 9999
MAX_ZONE_ROWS = 100_000


@dataclass
class ZoneImport:
    """What ``import_zones`` did."""

    zones_created: int = 0
    zones_updated: int = 0
    zones_unchanged: int = 0
    ranges_created: int = 0
    ranges_removed: int = 0
    ranges_unchanged: int = 0
    outlines_set: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    @property
    def changed(self) -> bool:
        return bool(
            self.zones_created
            or self.zones_updated
            or self.ranges_created
            or self.ranges_removed
            or self.outlines_set
        )


@dataclass(frozen=True)
class _RangeRow:
    zone: str
    street_id: uuid.UUID
    low: int
    high: int
    parity: str
    row: int

    @property
    def key(self) -> tuple[uuid.UUID, int, int, str]:
        return (self.street_id, self.low, self.high, self.parity)


def _share_a_number(a: _RangeRow, b: _RangeRow) -> bool:
    low, high = max(a.low, b.low), min(a.high, b.high)
    if low > high:
        return False
    sides = {a.parity, b.parity} - {"all"}
    if len(sides) == 2:
        return False  # odd and even sides never meet
    if not sides:
        return True
    wanted = 1 if sides.pop() == "odd" else 0
    first = low if low % 2 == wanted else low + 1
    return first <= high


def _number(file: str, row: int, column: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ZonesFileInvalid(file=file, row=row, problem=f"{column} is not a number") from None
    if not 1 <= number <= MAX_HOUSE_NUMBER:
        raise ZonesFileInvalid(file=file, row=row, problem=f"{column} (1 to {MAX_HOUSE_NUMBER})")
    return number


def read_outlines(path: Path) -> dict[str, dict[str, Any]]:
    """Zone outlines from a GeoJSON FeatureCollection: each feature's ``zone`` property names its zone."""
    name = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ZonesFileInvalid(file=name, row=0, problem=f"not readable GeoJSON ({exc})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise ZonesFileInvalid(file=name, row=0, problem="expected a GeoJSON FeatureCollection")
    features_ = document.get("features")
    if not isinstance(features_, list):
        raise ZonesFileInvalid(file=name, row=0, problem="features must be a list")
    outlines: dict[str, dict[str, Any]] = {}
    for index, feature in enumerate(features_, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = properties.get("zone") if isinstance(properties, dict) else None
        if not isinstance(code, str) or not code:
            raise ZonesFileInvalid(
                file=name, row=index, problem='a feature needs a "zone" property'
            )
        geometry = feature.get("geometry")
        problem = geometry_problem(geometry)
        if problem is not None:
            raise ZonesFileInvalid(file=name, row=index, problem=f"{code}: {problem}")
        if code in outlines:
            raise ZonesFileInvalid(file=name, row=index, problem=f"{code} has two outlines")
        assert isinstance(geometry, dict)
        outlines[code] = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    return outlines


def import_zones(
    session: Session,
    path: Path,
    *,
    outlines: Path | None = None,
    actor_id: uuid.UUID | None = None,
) -> ZoneImport:
    """Load parking zones from a CSV file (and their outlines from GeoJSON); idempotent.

    One row per street range: ``zone_code, kind, name_he, name_ar, name_en, street_code,
    from_number, to_number, parity`` (``kind`` residential or lot, default residential; a row with
    no street only names the zone). For each zone in the file, its street ranges become exactly the
    file's. Every row is checked first: a wrong row, an unknown street, or a house number that would
    lie in two zones is refused with its row number, and nothing is written.
    """
    name = path.name
    zones: dict[str, tuple[str, dict[str, str]]] = {}
    wanted: list[_RangeRow] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ZonesFileInvalid(file=name, row=0, problem=str(exc)) from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_ZONE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ZonesFileInvalid(
                file=name, row=1, problem="missing columns " + ", ".join(missing)
            )
        for number, raw in enumerate(reader, start=2):
            if number > MAX_ZONE_ROWS:
                raise ZonesFileInvalid(file=name, row=number, problem="too many rows")
            row = {c: (raw.get(c) or "").strip() for c in ZONE_COLUMNS}
            code = row["zone_code"]
            if not code or len(code) > 32 or not code.replace("_", "").replace("-", "").isalnum():
                raise ZonesFileInvalid(
                    file=name, row=number, problem="zone_code (1 to 32 letters, digits, _ or -)"
                )
            try:
                kind = ZoneKind(row["kind"] or ZoneKind.residential.value)
            except ValueError:
                raise ZonesFileInvalid(
                    file=name, row=number, problem="kind (residential or lot)"
                ) from None
            names = {c: row[c] for c in ("name_he", "name_ar", "name_en")}
            known = zones.get(code)
            if known is None:
                for column, value in names.items():
                    if not value or len(value) > 120:
                        raise ZonesFileInvalid(
                            file=name, row=number, problem=f"{column} (1 to 120 characters)"
                        )
                zones[code] = (kind.value, names)
            elif (row["kind"] and kind.value != known[0]) or any(
                value and value != known[1][column] for column, value in names.items()
            ):
                raise ZonesFileInvalid(
                    file=name, row=number, problem=f"{code} is named or kinded twice, differently"
                )
            if not row["street_code"]:
                continue
            street = city.street_by_code(session, row["street_code"])
            if street is None:
                raise ZonesFileInvalid(file=name, row=number, problem="unknown street_code")
            low = _number(name, number, "from_number", row["from_number"])
            high = _number(name, number, "to_number", row["to_number"])
            if low > high:
                raise ZonesFileInvalid(file=name, row=number, problem="from_number > to_number")
            parity = row["parity"] or "all"
            if parity not in ("all", "odd", "even"):
                raise ZonesFileInvalid(file=name, row=number, problem="parity (all, odd, even)")
            wanted.append(_RangeRow(code, street.id, low, high, parity, number))

    shapes = read_outlines(outlines) if outlines is not None else {}
    repository = ZoneRepository(session)
    existing_zones = {zone.code: zone for zone in repository.every()}
    for code in shapes:
        if code not in zones and code not in existing_zones:
            raise ZonesFileInvalid(
                file=outlines.name if outlines else name,
                row=0,
                problem=f"an outline for {code}, which is no zone",
            )

    # The mapping as it will be: the file's ranges, and those of zones the file leaves alone.
    by_id = {zone.id: zone.code for zone in existing_zones.values()}
    kept = [
        _RangeRow(by_id[r.zone_id], r.street_id, r.from_number, r.to_number, r.parity, 0)
        for r in repository.ranges()
        if by_id[r.zone_id] not in zones
    ]
    seen: dict[tuple[uuid.UUID, int, int, str], _RangeRow] = {}
    for candidate in wanted:
        if candidate.key in seen and seen[candidate.key].zone == candidate.zone:
            raise ZonesFileInvalid(file=name, row=candidate.row, problem="the same range twice")
        seen[candidate.key] = candidate
    by_street: dict[uuid.UUID, list[_RangeRow]] = {}
    for candidate in [*kept, *wanted]:
        by_street.setdefault(candidate.street_id, []).append(candidate)
    for rows in by_street.values():
        for i, first in enumerate(rows):
            for second in rows[i + 1 :]:
                if first.zone != second.zone and _share_a_number(first, second):
                    later = second if second.row else first
                    raise ZonesFileInvalid(
                        file=name,
                        row=later.row,
                        problem=f"house numbers lie in both {first.zone} and {second.zone}",
                    )

    report = ZoneImport()
    for code, (kind_value, names) in zones.items():
        zone = existing_zones.get(code)
        if zone is None:
            zone = ParkingZone(code=code, kind=kind_value, **names)
            repository.add(zone)
            existing_zones[code] = zone
            report.zones_created += 1
        elif zone.kind != kind_value or any(getattr(zone, c) != v for c, v in names.items()):
            zone.kind = kind_value
            for column, value in names.items():
                setattr(zone, column, value)
            report.zones_updated += 1
        else:
            report.zones_unchanged += 1
    session.flush()
    mine = {code: [r for r in wanted if r.zone == code] for code in zones}
    for code, rows in mine.items():
        zone = existing_zones[code]
        keys = {r.key for r in rows}
        for existing, _street in repository.ranges_of(zone.id):
            key = (existing.street_id, existing.from_number, existing.to_number, existing.parity)
            if key in keys:
                report.ranges_unchanged += 1
            else:
                repository.delete_range(existing)
                report.ranges_removed += 1
    for code, rows in mine.items():
        zone = existing_zones[code]
        present = {
            (r.street_id, r.from_number, r.to_number, r.parity)
            for r, _ in repository.ranges_of(zone.id)
        }
        for candidate in rows:
            if candidate.key in present:
                continue
            repository.add(
                ZoneStreetRange(
                    zone_id=zone.id,
                    street_id=candidate.street_id,
                    from_number=candidate.low,
                    to_number=candidate.high,
                    parity=candidate.parity,
                )
            )
            present.add(candidate.key)
            report.ranges_created += 1
    for code, geometry in shapes.items():
        zone = existing_zones[code]
        if zone.geometry != geometry:
            zone.geometry = geometry
            report.outlines_set += 1
    session.flush()
    if report.changed:
        audit.record(
            session,
            actor_id=actor_id,
            action="parking.zones_import",
            subject_type="parking_zones",
            subject_id=uuid.uuid4(),
            after={"file": name[:200], **report.as_dict()},
        )
    return report


def import_demo_zones(session: Session) -> ZoneImport:
    return import_zones(session, DATA_FOLDER / "zones.csv", outlines=DATA_FOLDER / "zones.geojson")


# --- residents ----------------------------------------------------------------------------------


def own_resident(session: Session, user_id: uuid.UUID) -> Resident:
    resident = residents.resident_for_user(session, user_id)
    if resident is None:
        raise NoResidentRecord()
    return resident


def address_zone(session: Session, resident: Resident) -> ParkingZone | None:
    """The residential zone of the resident's address on record."""
    return zone_for_address(session, resident.street_id, resident.house_number)


# --- vehicles -----------------------------------------------------------------------------------


def household_vehicles(session: Session, resident: Resident) -> Sequence[Vehicle]:
    """The vehicles registered by anyone of the resident's household."""
    return VehicleRepository(session).of_household(resident.household_id)


def register_vehicle(
    session: Session,
    settings: Settings,
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
        _end_permit(session, permit, PermitStatus.ended, PermitEnd.vehicle_removed, now)
        ended.append(permit)
    session.flush()
    return ended


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


@eligibility.register_fact_source
def resident_parking_facts(session: Session, resident: Resident, at: datetime) -> dict[str, object]:
    """What parking knows of a resident for any programme's rule (``/benefits/me``, grants): the
    zone of their address, their household's vehicles (``vehicle_in_household``: at least one is
    registered to them or their household), and the household's permits in force at ``at``."""
    vehicle_count = VehicleRepository(session).count_of_household(resident.household_id)
    zone = address_zone(session, resident)
    return {
        "parking_zone": zone.code if zone is not None else None,
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
    facts = eligibility.facts_of(session, resident, now, zone=_city_zone(settings))
    vehicles = VehicleRepository(session)
    vehicle = vehicles.registered(plate)
    facts["vehicle_in_household"] = (
        vehicle is not None and vehicles.in_household(vehicle.id, resident.household_id) is not None
    )
    return facts


def one_year_on(now: datetime, settings: Settings) -> datetime:
    """The end of a permit granted now: it runs through the same date next year (on the city's
    calendar), so it ends at the midnight that follows that day."""
    zone = _city_zone(settings)
    today = now.astimezone(zone).date()
    try:
        day = today.replace(year=today.year + 1)
    except ValueError:  # 29 February: through 28 February
        day = date(today.year + 1, 2, 28)
    following = day + timedelta(days=1)
    return datetime(following.year, following.month, following.day, tzinfo=zone).astimezone(
        now.tzinfo
    )


def last_day(valid_to: datetime, settings: Settings) -> date:
    """The last day (on the city's calendar) of something that ends at ``valid_to``."""
    return (valid_to.astimezone(_city_zone(settings)) - timedelta(microseconds=1)).date()


def apply_for_permit(
    session: Session,
    settings: Settings,
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
    decision = eligibility.decide(
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
    return PermitView(permit, permit_state(permit, now), zone, parking_pass, decision)


def issue_pass(
    session: Session,
    settings: Settings,
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
            expires_at=permit.valid_to,
            created_at=now,
        )
    )


def _end_permit(
    session: Session, permit: Permit, status: PermitStatus, reason: PermitEnd, now: datetime
) -> None:
    permit.status = status.value
    permit.ended_at = now
    permit.end_reason = reason.value
    parking_pass = PassRepository(session).of_permit(permit.id)
    if parking_pass is not None and parking_pass.revoked_at is None:
        parking_pass.revoked_at = now
        parking_pass.revoked_reason = reason.value


def _decisions(session: Session, permits: Sequence[Permit]) -> dict[uuid.UUID, Decision]:
    """The decisions behind permits: one query for each applicant's permit decisions."""
    wanted = {p.decision_id for p in permits}
    found: dict[uuid.UUID, Decision] = {}
    for resident_id in {p.resident_id for p in permits}:
        for decision in eligibility.list_decisions(
            session, resident_id=resident_id, programme_code=PERMIT_PROGRAMME, limit=1000
        ):
            if decision.id in wanted:
                found[decision.id] = decision
    for missing in wanted - set(found):  # beyond the newest thousand: rare
        found[missing] = eligibility.get_decision(session, missing)
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
    _end_permit(session, permit, PermitStatus.cancelled, PermitEnd.cancelled, now)
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
            _end_permit(session, permit, PermitStatus.ended, PermitEnd.residency, now)
        elif zone is None or permit.zone_id != zone.id:
            _end_permit(session, permit, PermitStatus.ended, PermitEnd.moved, now)
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


def offer_for(session: Session, resident: Resident, *, now: datetime) -> Offer | None:
    """The permit the resident may apply for now: their address's zone, for the household's vehicles
    that have no permit in force there."""
    if resident.status != ResidencyStatus.verified:
        return None
    zone = address_zone(session, resident)
    if zone is None:
        return None
    permits = PermitRepository(session)
    plates = [
        vehicle.plate
        for vehicle in household_vehicles(session, resident)
        if not any(p.zone_id == zone.id for p in permits.in_force_of_vehicle(vehicle.id, now))
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


# --- free parking time and sessions -------------------------------------------------------------


def minute_accounts(session: Session, resident_id: uuid.UUID) -> list[Account]:
    """The resident's free-minute accounts: the monthly free minutes first, then other grants."""
    accounts = [
        account
        for account in ledger.accounts_of_owner(session, OwnerType.resident, resident_id)
        if account.unit == Unit.PARKING_MIN.value
    ]
    return sorted(accounts, key=lambda a: (a.purpose != FREE_MINUTES_PROGRAMME, a.purpose))


def free_minutes(session: Session, resident: Resident, *, now: datetime) -> int:
    """Free parking minutes the resident may use now."""
    return sum(
        ledger.get_balance(session, account.id, now=now).available
        for account in minute_accounts(session, resident.id)
    )


def grant_free_minutes(
    session: Session, resident: Resident, *, now: datetime, settings: Settings
) -> eligibility.GrantReport:
    """This month's free minutes for one resident, if eligible and not yet granted."""
    zone = _city_zone(settings)
    facts = eligibility.facts_of(session, resident, now, zone=zone)
    return eligibility.grant_allowance(
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
        available = ledger.get_balance(session, account.id, now=now).available
        take = min(available, minutes - taken)
        if take > 0:
            postings.append(PostingInput(account.id, -take))
            taken += take
        if taken == minutes:
            break
    if taken:
        used = ledger.get_or_create_account(
            session,
            owner_type=OwnerType.city,
            owner_id=None,
            purpose=USED_MINUTES_PURPOSE,
            unit=Unit.PARKING_MIN,
        )
        transaction = ledger.post_transaction(
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


def zone_codes(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ParkingZone]:
    return ZoneRepository(session).by_ids(set(ids))


# --- passes: images, print, revocations, the offline bundle -------------------------------------

# A6 landscape, at 300 dots per inch: it lies behind a windscreen and reads from the pavement.
PASS_PAGE_MM = (148, 105)
PASS_DPI = 300
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)
PRINT_TITLE = {
    "he": "תו חניה לתושב",
    "ar": "تصريح وقوف للمقيم",
    "en": "Resident parking permit",
}
PRINT_VALID = {"he": "בתוקף עד", "ar": "ساري حتى", "en": "Valid until"}
PRINT_ZONE = {"he": "אזור", "ar": "منطقة", "en": "Zone"}


def _font_file() -> str | None:
    return next((path for path in _FONT_FILES if Path(path).exists()), None)


def _fitted(
    draw: ImageDraw.ImageDraw, text: str, largest: int, width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The largest font (up to ``largest`` pixels) that sets ``text`` within ``width``."""
    path = _font_file()
    size = largest
    while True:
        font = ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)
        if size <= 12 or draw.textlength(text, font=font) <= width:
            return font
        size -= 4


def _isolated(text: str) -> str:
    """Text set left to right inside a right-to-left line (a date, a zone code, a plate)."""
    return f"\u2066{text}\u2069"


def pass_pdf(parking_pass: ParkingPass, zone: ParkingZone, *, settings: Settings) -> bytes:
    """A one-page PDF (A6, landscape) to print and lay behind the windscreen."""
    out = io.BytesIO()
    pass_page(parking_pass, zone, settings=settings).save(
        out, format="PDF", resolution=PASS_DPI, title="Parking pass"
    )
    return out.getvalue()


def pass_page(parking_pass: ParkingPass, zone: ParkingZone, *, settings: Settings) -> Image.Image:
    """The printed pass, black on white at 300 dpi: the QR of the pass (78 mm with its quiet zone),
    and beside it the plate, the zone and the last day it runs, in the city's three languages where
    the fonts can set Hebrew and Arabic (English alone otherwise)."""

    def mm(length: float) -> int:
        return round(length / 25.4 * PASS_DPI)

    width, height = mm(PASS_PAGE_MM[0]), mm(PASS_PAGE_MM[1])
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = mm(6)
    modules = _padded(qr_modules(parking_pass.token))
    box = mm(78) // len(modules)
    qr = Image.new("L", (len(modules), len(modules)), 255)
    qr.putdata([0 if dark else 255 for row in modules for dark in row])
    qr = qr.resize((len(modules) * box, len(modules) * box), Image.Resampling.NEAREST)
    page.paste(qr, (margin, (height - qr.height) // 2))
    left, right = margin + qr.width + mm(4), width - margin
    column = right - left
    until = last_day(parking_pass.expires_at, settings).strftime("%d.%m.%Y")
    complex_scripts = _font_file() is not None and features.check("raqm")
    languages: tuple[Language, ...] = ("he", "ar", "en") if complex_scripts else ("en",)
    lines: list[tuple[str, int, int]] = []  # text, largest size, space after
    lines += [(PRINT_TITLE[language], 44, 14) for language in languages]
    lines.append((show_plate(parking_pass.plate), 130, 24))
    for language in languages:
        name = zone.names[language]
        lines.append((f"{PRINT_ZONE[language]}: {name} {_isolated(f'({zone.code})')}", 38, 8))
    lines += [(f"{PRINT_VALID[language]}: {_isolated(until)}", 38, 8) for language in languages]
    y = margin
    for text, largest, after in lines:
        font = _fitted(draw, text, largest, column)
        draw.text((right, y), text, font=font, fill=0, anchor="ra")
        y = round(draw.textbbox((right, y), text, font=font, anchor="ra")[3]) + after
    return page.point(lambda value: 0 if value < 128 else 255).convert("1")


def _padded(modules: list[list[bool]], border: int = 4) -> list[list[bool]]:
    side = len(modules) + 2 * border
    light = [False] * side
    rows = [light] * border
    rows += [[False] * border + row + [False] * border for row in modules]
    rows += [light] * border
    return rows


@dataclass(frozen=True)
class RevokedPass:
    pass_id: str
    revoked_at: datetime
    expires_at: datetime


def revocations(
    session: Session, *, since: datetime | None, now: datetime
) -> tuple[list[RevokedPass], datetime | None]:
    """Revoked passes not yet expired (revoked at or after ``since``), and the ``since`` to ask with
    next: a minute before the newest, so a revocation committed late is never missed."""
    rows = [
        RevokedPass(pass_id, revoked_at, expires_at)
        for pass_id, revoked_at, expires_at in PassRepository(session).revoked(
            unexpired_at=now, since=since
        )
    ]
    newest = max((row.revoked_at for row in rows), default=None)
    next_since = newest - REVOCATIONS_OVERLAP if newest is not None else since
    return rows, next_since


@dataclass(frozen=True)
class OfflineBundle:
    jwks: dict[str, Any]
    audience: str
    leeway_seconds: int
    revoked: list[RevokedPass]
    zones: Sequence[ParkingZone]
    issued_at: datetime
    expires_at: datetime


def offline_bundle(session: Session, settings: Settings, *, now: datetime) -> OfflineBundle:
    """What an inspector's device needs to judge passes with no network, for a while."""
    revoked, _ = revocations(session, since=None, now=now)
    return OfflineBundle(
        jwks=credentials.published_jwks(session),
        audience=settings.parking_pass_audience,
        leeway_seconds=settings.credential_leeway_seconds,
        revoked=revoked,
        zones=list_zones(session),
        issued_at=now,
        expires_at=now + timedelta(seconds=settings.parking_offline_bundle_ttl_seconds),
    )


# --- inspection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Zones:
    codes: frozenset[str]
    outlines: tuple[tuple[str, dict[str, Any] | None], ...]


@dataclass
class InspectionCache:
    """What judging a pass needs, held in this process's memory, so a scanned pass is checked with
    no database round trip: the JWKS, the revoked pass ids, and the zones' codes and outlines.

    Revocations are checked at most every ``revocations_every`` seconds, by counting the revoked
    passes (one indexed count; it only grows), and reloaded only when the count changed. Keys are
    reloaded every ``keys_every`` seconds, and at once (at most once a second) for a kid not seen
    yet. Zones every ``zones_every`` seconds. Safe to share between threads: each piece is replaced
    whole, and one thread reloads while the others use what is there.

    The ``usable_*`` readers are for judging with no database (``inspect_from_memory``): when a
    piece is due a reload, the first caller claims the reload (and must go to the database), and
    callers that come while it runs use what is there, rather than every concurrent request
    reloading the same piece (64 requests taking SQLite's write lock in turn, once a second). So
    a revocation is seen within ``revocations_every`` plus one reload; a claim whose reload never
    came lapses after ``CLAIM_SECONDS``.
    """

    CLAIM_SECONDS = 2.0

    revocations_every: float = 1.0
    keys_every: float = 30.0
    zones_every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _revoked: tuple[float, int, Mapping[str, datetime]] | None = None
    _jwks: tuple[float, Mapping[str, Any]] | None = None
    _zones: tuple[float, _Zones] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _claims: dict[str, float] = field(default_factory=dict)

    def _reloading_elsewhere(self, piece: str) -> bool:
        """Whether another request is reloading ``piece`` now; if none is, this caller claims it."""
        moment = self.clock()
        claimed = self._claims.get(piece)
        if claimed is not None and moment - claimed < self.CLAIM_SECONDS:
            return True
        self._claims[piece] = moment
        return False

    def usable_revocations(self) -> Mapping[str, datetime] | None:
        """The revoked passes if fresh, or while another request reloads them; else None."""
        current = self._revoked
        if current is None:
            return None
        if self.clock() - current[0] < self.revocations_every:
            return current[2]
        return current[2] if self._reloading_elsewhere("revocations") else None

    def usable_keys(self, kid: str | None = None) -> Mapping[str, Any] | None:
        """The JWKS as ``known_keys`` gives it, or while another request reloads it; else None."""
        known = self.known_keys(kid)
        if known is not None:
            return known
        current = self._jwks
        if current is None or (kid is not None and public_key_for(current[1], kid) is None):
            return None
        return current[1] if self._reloading_elsewhere("keys") else None

    def usable_zones(self) -> _Zones | None:
        """The zones if fresh, or while another request reloads them; else None."""
        known = self.known_zones()
        if known is not None:
            return known
        current = self._zones
        if current is None:
            return None
        return current[1] if self._reloading_elsewhere("zones") else None

    def forget_revocations(self) -> None:
        """This process revoked a pass: count again at the next check."""
        current = self._revoked
        if current is not None:
            self._revoked = (-math.inf, current[1], current[2])

    def known_revocations(self) -> Mapping[str, datetime] | None:
        """The revoked passes if checked within ``revocations_every``; None when a check is due."""
        current = self._revoked
        if current is not None and self.clock() - current[0] < self.revocations_every:
            return current[2]
        return None

    def known_keys(self, kid: str | None = None) -> Mapping[str, Any] | None:
        """The JWKS if fresh (and holding ``kid``, or reloaded within the second); else None."""
        current = self._jwks
        if current is None:
            return None
        age = self.clock() - current[0]
        knows = kid is None or public_key_for(current[1], kid) is not None
        if age < self.keys_every and (knows or age < 1.0):
            return current[1]
        return None

    def known_zones(self) -> _Zones | None:
        """The zones if loaded within ``zones_every``; else None."""
        current = self._zones
        if current is not None and self.clock() - current[0] < self.zones_every:
            return current[1]
        return None

    def revoked(self, session: Session, *, now: datetime) -> Mapping[str, datetime]:
        known = self.known_revocations()
        if known is not None:
            return known
        current = self._revoked
        moment = self.clock()
        try:
            repository = PassRepository(session)
            count = repository.revoked_count()
            if current is not None and count == current[1]:
                self._revoked = (moment, count, current[2])
                return current[2]
            # Passes that expired a day ago fail on their expiry anyway.
            rows = repository.revoked(unexpired_at=now - timedelta(days=1))
            loaded = {pass_id: revoked_at for pass_id, revoked_at, _ in rows}
            self._revoked = (moment, count, loaded)
            return loaded
        finally:
            self._claims.pop("revocations", None)

    def jwks(self, session: Session, *, kid: str | None = None) -> Mapping[str, Any]:
        known = self.known_keys(kid)
        if known is not None:
            return known
        moment = self.clock()
        try:
            with self._lock:
                loaded = credentials.published_jwks(session)
                self._jwks = (moment, loaded)
        finally:
            self._claims.pop("keys", None)
        return loaded

    def zones(self, session: Session) -> _Zones:
        known = self.known_zones()
        if known is not None:
            return known
        moment = self.clock()
        try:
            every = list_zones(session)
            loaded = _Zones(
                frozenset(zone.code for zone in every), tuple((z.code, z.geometry) for z in every)
            )
            self._zones = (moment, loaded)
        finally:
            self._claims.pop("zones", None)
        return loaded

    def forget_zones(self) -> None:
        self._zones = None


class InspectionLog:
    """Inspections waiting to be written, written in batches off the request path.

    ``add`` queues a record and returns: the inspector has the verdict at once, and no request
    waits for an INSERT and its commit. A writer thread hands what waits to ``write`` (which
    writes the records in one multi-row INSERT and commits) every ``interval`` seconds, at once
    when ``batch`` records wait; ``flush`` writes what waits now, and runs when the process exits.
    A write that fails leaves its records queued for the next one. What a crash of the process
    can lose is the records of its last ``interval``.
    """

    def __init__(
        self,
        write: Callable[[list[dict[str, Any]]], None],
        *,
        interval: float = 0.25,
        batch: int = 500,
    ) -> None:
        self._write = write
        self._interval = interval
        self._batch = batch
        self._waiting: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._waiting.append(record)
            waiting = len(self._waiting)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="parking-inspection-log", daemon=True
                )
                self._thread.start()
                atexit.register(self.flush)
        if waiting >= self._batch:
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def flush(self) -> int:
        """Write every record waiting now; how many were written."""
        with self._write_lock:
            with self._lock:
                records, self._waiting = self._waiting, []
            if not records:
                return 0
            try:
                self._write(records)
            except Exception:
                with self._lock:
                    self._waiting[:0] = records
                raise
            return len(records)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("inspections could not be written; they wait for the next try")


def record_inspections(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Write inspections queued by an ``InspectionLog``, in one multi-row INSERT."""
    InspectionRepository(session).add_many(records)


def _kid(token: str) -> str | None:
    """The kid in a token's header, read without trusting it (to know whether to reload keys)."""
    try:
        header = json.loads(b64url_decode(token.split(".", 1)[0]))
    except (ValueError, IndexError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


@dataclass(frozen=True)
class InspectionRequest:
    pass_token: str | None
    plate: str | None
    zone: str | None
    latitude: float | None
    longitude: float | None
    at: datetime | None


def _place_zone(session: Session, cache: InspectionCache, request: InspectionRequest) -> str | None:
    if request.zone is not None:
        zones = cache.zones(session)
        if request.zone not in zones.codes:
            cache.forget_zones()  # a zone loaded since: look again
            if request.zone not in cache.zones(session).codes:
                raise UnknownZone(zone=request.zone[:32])
        return request.zone
    if request.latitude is not None and request.longitude is not None:
        found = zone_at(cache.zones(session).outlines, request.longitude, request.latitude)
        if found is None:
            raise PlaceOutsideZones()
        return found
    return None


def _inspected_at(request: InspectionRequest, now: datetime) -> datetime:
    at = request.at or now
    if not now - MAX_INSPECTION_AGE <= at <= now + INSPECTION_CLOCK_SKEW:
        raise InspectionTimeOutOfRange()
    return at


def _record(
    found: Verdict,
    request: InspectionRequest,
    method: InspectionMethod,
    *,
    inspector_id: uuid.UUID,
    at: datetime,
    zone: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "inspector_id": inspector_id,
        "at": at,
        "method": method.value,
        "plate": found.plate,
        "pass_id": found.pass_id,
        "zone_code": zone,
        "latitude": request.latitude,
        "longitude": request.longitude,
        "allowed": found.allowed,
        "reason": found.reason.value,
        "created_at": now,
    }


def inspect_from_memory(
    settings: Settings,
    cache: InspectionCache,
    request: InspectionRequest,
    *,
    inspector_id: uuid.UUID,
    now: datetime,
    log: InspectionLog,
) -> Verdict | None:
    """Judge a scanned pass with no database at all, when everything it needs is fresh in
    ``cache``, and queue its record on ``log``; None when the database must be asked (a typed
    plate, a zone not known yet, or keys, revocations or zones due a reload): then ``inspect``.

    The same verdict ``inspect`` gives, from the same data, so an async endpoint can answer most
    scans without a thread or a connection. Bad input is refused here just as there.
    """
    if request.pass_token is None:
        return None
    at = _inspected_at(request, now)
    zone = request.zone
    latitude, longitude = request.latitude, request.longitude
    if zone is not None or (latitude is not None and longitude is not None):
        zones = cache.usable_zones()
        if zones is None:
            return None
        if zone is not None:
            if zone not in zones.codes:
                return None  # perhaps loaded since: ``inspect`` looks again, and says so if not
        elif latitude is not None and longitude is not None:
            zone = zone_at(zones.outlines, longitude, latitude)
            if zone is None:
                raise PlaceOutsideZones()
    jwks = cache.usable_keys(_kid(request.pass_token))
    revoked = cache.usable_revocations()
    if jwks is None or revoked is None:
        return None
    found = judge_pass(
        request.pass_token,
        jwks=jwks,
        revoked=revoked,
        audience=settings.parking_pass_audience,
        at=at,
        zone=zone,
        leeway=settings.credential_leeway_seconds,
    )
    method = InspectionMethod.scanned_pass
    log.add(_record(found, request, method, inspector_id=inspector_id, at=at, zone=zone, now=now))
    return found


def judge_plate(session: Session, plate: str, zone: str, *, at: datetime) -> Verdict:
    """May this plate park in this zone at this moment: a permit there, or a parking session?

    One query when a permit for the zone is in force (the usual case); more only to say why not.
    """
    permits = PermitRepository(session).of_plate(plate)
    in_force = [
        permit
        for permit in permits
        if permit.status == PermitStatus.granted
        and permit.valid_from is not None
        and permit.valid_to is not None
        and permit.valid_from <= at < permit.valid_to
    ]
    for permit in in_force:
        if permit.zone == zone:
            return verdict(Reason.valid_permit, zone=zone, valid_until=permit.valid_to, plate=plate)
    parked_in = SessionRepository(session).zones_of_plate_at(plate, at)
    if zone in parked_in:
        return verdict(Reason.active_session, zone=zone, plate=plate)
    if in_force:
        return verdict(
            Reason.wrong_zone, zone=in_force[0].zone, valid_until=in_force[0].valid_to, plate=plate
        )
    if parked_in:
        return verdict(Reason.wrong_zone, zone=parked_in[0], plate=plate)
    if permits:
        latest = permits[0]
        if latest.status in (PermitStatus.cancelled, PermitStatus.ended):
            return verdict(
                Reason.revoked, zone=latest.zone, valid_until=latest.valid_to, plate=plate
            )
        if latest.valid_to is not None and latest.valid_to <= at:
            return verdict(
                Reason.expired, zone=latest.zone, valid_until=latest.valid_to, plate=plate
            )
    if VehicleRepository(session).is_registered(plate):
        return verdict(Reason.no_permit, plate=plate)
    return verdict(Reason.unknown_vehicle, plate=plate)


def inspect(
    session: Session,
    settings: Settings,
    cache: InspectionCache,
    request: InspectionRequest,
    *,
    inspector_id: uuid.UUID,
    now: datetime,
    log: InspectionLog | None = None,
) -> Verdict:
    """Judge a scanned pass or a typed plate at a place, and record the inspection.

    A pass is judged from memory (``InspectionCache``), as the offline verifier judges it from its
    bundle; a plate is looked up. The record goes to ``log`` (written in batches, off the request
    path), or with no log into this session's transaction. Bad input is refused before anything
    is recorded.
    """
    at = _inspected_at(request, now)
    zone = _place_zone(session, cache, request)
    if request.pass_token is not None:
        found = judge_pass(
            request.pass_token,
            jwks=cache.jwks(session, kid=_kid(request.pass_token)),
            revoked=cache.revoked(session, now=now),
            audience=settings.parking_pass_audience,
            at=at,
            zone=zone,
            leeway=settings.credential_leeway_seconds,
        )
        method = InspectionMethod.scanned_pass
    else:
        assert request.plate is not None
        assert zone is not None
        found = judge_plate(session, parse_plate(request.plate), zone, at=at)
        method = InspectionMethod.plate
    record = _record(found, request, method, inspector_id=inspector_id, at=at, zone=zone, now=now)
    if log is None:
        InspectionRepository(session).add(Inspection(**record))
    else:
        log.add(record)
    return found


def inspections(
    session: Session, *, limit: int, offset: int, inspector_id: uuid.UUID | None = None
) -> Sequence[Inspection]:
    return InspectionRepository(session).recent(
        limit=limit, offset=offset, inspector_id=inspector_id
    )


def anonymise_inspections(session: Session, *, now: datetime, older_than_days: int) -> int:
    """Remove the plate (and the pass id, which leads to it) from inspections older than this."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    return InspectionRepository(session).anonymise_before(
        now - timedelta(days=older_than_days), now
    )
