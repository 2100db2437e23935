"""The city's street list: which neighbourhood an address is in, street search, and loading the data."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from resident_card.city.exceptions import CityDataInvalid
from resident_card.city.models import HouseNumberRange, Neighbourhood, Parity, Street
from resident_card.city.repository import CityRepository

DATA_FOLDER = Path(__file__).resolve().parent / "data"
NEIGHBOURHOODS_FILE = "neighbourhoods.csv"
STREETS_FILE = "streets.csv"
RANGES_FILE = "house_number_ranges.csv"
# The neighbourhoods' outlines (a GeoJSON FeatureCollection, each feature's ``code`` naming one),
# shipped with the city's data for the maps.
OUTLINES_FILE = "neighbourhoods.geojson"
NAME_COLUMNS = ("name_he", "name_ar", "name_en")
MAX_HOUSE_NUMBER = 9999


def street_by_code(session: Session, code: str) -> Street | None:
    return CityRepository(session).street_by_code(code)


def neighbourhood_for(
    session: Session, street: Street | str | uuid.UUID, house_number: int
) -> Neighbourhood | None:
    """The neighbourhood of an address (a street, its code or its id, and a house number).

    When ranges overlap, one side of the street beats both sides, and a narrower range beats a wider.
    """
    repository = CityRepository(session)
    if isinstance(street, Street):
        street_id = street.id
    elif isinstance(street, uuid.UUID):
        street_id = street
    else:
        found = repository.street_by_code(street)
        if found is None:
            return None
        street_id = found.id
    covering = [
        r for r in repository.ranges_covering(street_id, house_number) if r.covers(house_number)
    ]
    if not covering:
        return None
    best = min(
        covering,
        key=lambda r: (r.parity == Parity.all, r.to_number - r.from_number, r.from_number),
    )
    return session.get(Neighbourhood, best.neighbourhood_id)


def list_neighbourhoods(session: Session) -> Sequence[Neighbourhood]:
    return CityRepository(session).neighbourhoods()


@cache
def outline_shapes(path: Path = DATA_FOLDER / OUTLINES_FILE) -> dict[str, dict[str, Any]]:
    """Each neighbourhood's outline (a GeoJSON Polygon or MultiPolygon) by its code, read once."""
    collection = json.loads(path.read_text("utf-8"))
    shapes: dict[str, dict[str, Any]] = {}
    for feature in collection["features"]:
        geometry = feature["geometry"]
        if geometry["type"] not in ("Polygon", "MultiPolygon"):
            raise CityDataInvalid(file=path.name, row=0, problem=f"a {geometry['type']} outline")
        shapes[feature["properties"]["code"]] = {
            "type": geometry["type"],
            "coordinates": geometry["coordinates"],
        }
    return shapes


def neighbourhood_outlines(session: Session) -> list[tuple[Neighbourhood, dict[str, Any]]]:
    """The city's neighbourhoods that have an outline, each with it, in the neighbourhoods' order."""
    shapes = outline_shapes()
    return [
        (neighbourhood, shapes[neighbourhood.code])
        for neighbourhood in list_neighbourhoods(session)
        if neighbourhood.code in shapes
    ]


@dataclass(frozen=True)
class StreetFound:
    street: Street
    neighbourhoods: list[str]


def search_streets(session: Session, text: str | None, *, limit: int = 20) -> list[StreetFound]:
    """Streets whose name in any of the three languages (or whose code) contains the text."""
    repository = CityRepository(session)
    cleaned = " ".join(text.split()) if text else None
    streets = repository.search_streets(cleaned, limit=limit)
    neighbourhoods = repository.neighbourhoods_of_streets(s.id for s in streets)
    return [StreetFound(s, neighbourhoods.get(s.id, [])) for s in streets]


# --- loading the city's data ------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row with its line number (the header is line 1), every column present and trimmed."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise CityDataInvalid(
                file=path.name, row=1, problem="missing columns " + ", ".join(missing)
            )
        for number, row in enumerate(reader, start=2):
            yield number, {c: (row.get(c) or "").strip() for c in columns}


def _names(path: Path, number: int, row: dict[str, str]) -> dict[str, str]:
    names = {c: row[c] for c in NAME_COLUMNS}
    for column, value in names.items():
        if not value or len(value) > 120:
            raise CityDataInvalid(
                file=path.name, row=number, problem=f"{column} (1 to 120 characters)"
            )
    return names


def _code(path: Path, number: int, value: str) -> str:
    if not value or len(value) > 32:
        raise CityDataInvalid(file=path.name, row=number, problem="code (1 to 32 characters)")
    return value


def _upsert_named(row: Neighbourhood | Street | None, names: dict[str, str], tally: Tally) -> bool:
    """Bring an existing row's names up to date; say whether it was missing."""
    if row is None:
        return True
    if any(getattr(row, column) != value for column, value in names.items()):
        for column, value in names.items():
            setattr(row, column, value)
        tally.updated += 1
    else:
        tally.unchanged += 1
    return False


def _number(path: Path, number: int, column: str, value: str) -> int:
    try:
        parsed = int(value)
    except ValueError:
        raise CityDataInvalid(
            file=path.name, row=number, problem=f"{column} is not a number"
        ) from None
    if not 1 <= parsed <= MAX_HOUSE_NUMBER:
        raise CityDataInvalid(
            file=path.name, row=number, problem=f"{column} (1 to {MAX_HOUSE_NUMBER})"
        )
    return parsed


def load_city(session: Session, folder: Path | None = None) -> dict[str, dict[str, int]]:
    """Load neighbourhoods, streets and house-number ranges from CSV files; running it again changes nothing.

    Rows are matched by code (ranges by street, numbers and parity); names that changed are updated.
    Returns, per kind, how many rows were created, updated and unchanged. What is there already is
    read in one query per kind and the new rows are written together, not a query per row.
    """
    folder = folder or DATA_FOLDER
    repository = CityRepository(session)
    counts = {"neighbourhoods": Tally(), "streets": Tally(), "ranges": Tally()}

    neighbourhoods = {row.code: row for row in repository.neighbourhoods()}
    path = folder / NEIGHBOURHOODS_FILE
    for number, row in _rows(path, ("code", *NAME_COLUMNS)):
        code = _code(path, number, row["code"])
        names = _names(path, number, row)
        if _upsert_named(neighbourhoods.get(code), names, counts["neighbourhoods"]):
            neighbourhoods[code] = Neighbourhood(code=code, **names)
            counts["neighbourhoods"].created += 1

    streets = {row.code: row for row in repository.all_streets()}
    path = folder / STREETS_FILE
    for number, row in _rows(path, ("code", *NAME_COLUMNS)):
        code = _code(path, number, row["code"])
        names = _names(path, number, row)
        if _upsert_named(streets.get(code), names, counts["streets"]):
            streets[code] = Street(code=code, **names)
            counts["streets"].created += 1
    repository.add_all([*neighbourhoods.values(), *streets.values()])  # gives the new ones ids

    ranges = {
        (r.street_id, r.from_number, r.to_number, r.parity): r for r in repository.all_ranges()
    }
    new_ranges: list[HouseNumberRange] = []
    path = folder / RANGES_FILE
    columns = ("street_code", "from_number", "to_number", "parity", "neighbourhood_code")
    for number, row in _rows(path, columns):
        street = streets.get(row["street_code"])
        if street is None:
            raise CityDataInvalid(file=path.name, row=number, problem="unknown street_code")
        neighbourhood = neighbourhoods.get(row["neighbourhood_code"])
        if neighbourhood is None:
            raise CityDataInvalid(file=path.name, row=number, problem="unknown neighbourhood_code")
        low = _number(path, number, "from_number", row["from_number"])
        high = _number(path, number, "to_number", row["to_number"])
        if low > high:
            raise CityDataInvalid(file=path.name, row=number, problem="from_number > to_number")
        try:
            parity = Parity(row["parity"] or Parity.all.value)
        except ValueError:
            raise CityDataInvalid(
                file=path.name, row=number, problem="parity (all, odd, even)"
            ) from None
        key = (street.id, low, high, parity.value)
        existing = ranges.get(key)
        tally = counts["ranges"]
        if existing is None:
            ranges[key] = HouseNumberRange(
                street_id=street.id,
                from_number=low,
                to_number=high,
                parity=parity.value,
                neighbourhood_id=neighbourhood.id,
            )
            new_ranges.append(ranges[key])
            tally.created += 1
        elif existing.neighbourhood_id != neighbourhood.id:
            existing.neighbourhood_id = neighbourhood.id
            tally.updated += 1
        else:
            tally.unchanged += 1
    repository.add_all(new_ranges)
    return {kind: tally.as_dict() for kind, tally in counts.items()}
