"""Parking zones: the city's zones and car parks, which zone an address or a point lies in, and
loading zones (streets, house-number ranges, outlines) from the parking authority's files."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from parking.exceptions import (
    ZonesFileInvalid,
)
from parking.models import (
    ParkingZone,
    ZoneKind,
    ZoneStreetRange,
)
from parking.offline import geometry_problem, zone_at
from parking.repository import (
    ZoneRepository,
)
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.residents.models import Resident

DATA_FOLDER = Path(__file__).resolve().parent.parent / "data"


# --- zones --------------------------------------------------------------------------------------


def list_zones(session: Session, neighbourhood: str | None = None) -> Sequence[ParkingZone]:
    """Every zone, or those of one neighbourhood: a zone lies in the neighbourhood that holds
    most of its street ranges (as the open data counts its inspections)."""
    repository = ZoneRepository(session)
    zones = repository.every()
    if neighbourhood is None:
        return zones
    places = repository.zone_neighbourhoods()
    return [zone for zone in zones if places.get(zone.code) == neighbourhood]


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


def address_zone(session: Session, resident: Resident) -> ParkingZone | None:
    """The residential zone of the resident's address on record."""
    return zone_for_address(session, resident.street_id, resident.house_number)


def zone_codes(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ParkingZone]:
    return ZoneRepository(session).by_ids(set(ids))
