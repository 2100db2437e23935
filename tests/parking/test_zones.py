"""Parking zones: loaded from CSV (and GeoJSON outlines), all or nothing; an address gives its zone,
and so does a GPS point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parking.exceptions import ZonesFileInvalid
from parking.models import ParkingZone, ZoneStreetRange
from parking.service import zones
from resident_card.audit.models import AuditEntry
from resident_card.city.service import load_city, street_by_code
from tests.conftest import FreshDatabase
from toshav.cli import main

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

HEADER = "zone_code,kind,name_he,name_ar,name_en,street_code,from_number,to_number,parity\n"


@pytest.fixture
def city(session: Session) -> None:
    load_city(session)


def write(folder: Path, rows: str, name: str = "zones.csv") -> Path:
    path = folder / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def outline(code: str, west: float, south: float, east: float, north: float) -> dict[str, object]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "properties": {"zone": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def zone_of(session: Session, street: str, number: int) -> str | None:
    found = street_by_code(session, street)
    assert found is not None
    zone = zones.zone_for_address(session, found.id, number)
    return zone.code if zone else None


@pytest.mark.usefixtures("city")
def test_the_bundled_zones_map_every_bundled_street_and_load_once(session: Session) -> None:
    first = zones.import_demo_zones(session)
    second = zones.import_demo_zones(session)

    assert (first.zones_created, first.outlines_set) == (9, 9)
    assert first.ranges_created == 35
    assert not second.changed
    assert (second.zones_unchanged, second.ranges_unchanged) == (9, 35)
    imports = select(func.count(AuditEntry.id)).where(AuditEntry.action == "parking.zones_import")
    assert session.scalar(imports) == 1
    assert zone_of(session, "herzl", 15) == "hadar_west"
    assert zone_of(session, "herzl", 61) == "hadar_east"
    # One street, two sides: odd numbers downtown, even ones in Hadar West.
    assert zone_of(session, "hatziyonut", 11) == "downtown"
    assert zone_of(session, "hatziyonut", 12) == "hadar_west"
    assert zone_of(session, "herzl", 500) is None
    # A separate mapping from the city's neighbourhoods: Herzl 15 and Herzl 70 share one.
    from resident_card.city.service import neighbourhood_for

    hood_15, hood_70 = (neighbourhood_for(session, "herzl", n) for n in (15, 70))
    assert hood_15 is not None
    assert hood_70 is not None
    assert hood_15.code == hood_70.code == "hadar"


@pytest.mark.usefixtures("city")
def test_a_gps_point_gives_the_narrowest_zone_holding_it(session: Session) -> None:
    zones.import_demo_zones(session)

    def at(lat: float, lon: float) -> str | None:
        zone = zones.zone_at_point(session, lon, lat)
        return zone.code if zone else None

    assert at(32.810, 34.999) == "hadar_west"
    assert at(32.810, 35.008) == "hadar_east"
    assert at(32.800, 34.989) == "lot_carmel"  # the car park inside the Carmel zone
    assert at(32.797, 34.985) == "carmel"
    assert at(32.900, 34.900) is None


@pytest.mark.usefixtures("city")
def test_the_zone_api_is_public_and_speaks_three_languages(
    client: TestClient, session: Session
) -> None:
    zones.import_demo_zones(session)

    listed = client.get("/api/v1/parking/zones").json()
    one = client.get("/api/v1/parking/zones/hadar_west").json()
    here = client.get("/api/v1/parking/zones/at", params={"lat": 32.8, "lon": 34.989})
    sea = client.get("/api/v1/parking/zones/at", params={"lat": 32.9, "lon": 34.9})

    assert {z["code"] for z in listed} >= {"hadar_west", "lot_port"}
    assert one["names"] == {"he": "הדר מערב", "ar": "غرب الهدار", "en": "Hadar West"}
    assert one["kind"] == "residential"
    assert {s["street_code"] for s in one["streets"]} == {
        "herzl",
        "hanevim",
        "hillel",
        "nordau",
        "shabtai_levi",
        "hatziyonut",
    }
    hatziyonut = next(s for s in one["streets"] if s["street_code"] == "hatziyonut")
    assert (hatziyonut["parity"], hatziyonut["street"]["en"]) == ("even", "HaTziyonut Blvd")
    assert (here.status_code, here.json()["code"], here.json()["kind"]) == (
        200,
        "lot_carmel",
        "lot",
    )
    assert (sea.status_code, sea.json()["error"]) == (404, "no_zone_here")
    missing = client.get("/api/v1/parking/zones/atlantis")
    assert (missing.status_code, missing.json()["error"]) == (404, "zone_not_found")
    bad = client.get("/api/v1/parking/zones/at", params={"lat": 95, "lon": 34.9})
    assert bad.status_code == 422


@pytest.mark.usefixtures("city")
def test_a_zones_file_makes_each_listed_zone_exactly_its_rows(
    session: Session, tmp_path: Path
) -> None:
    first = write(
        tmp_path,
        "north,,צפון,الشمال,North,herzl,1,50,all\n"
        "north,,,,,hillel,1,40,odd\n"
        "south,residential,דרום,الجنوب,South,herzl,51,120,all\n",
    )
    zones.import_zones(session, first)
    second = write(
        tmp_path,
        "north,,צפון עליון,الشمال,North,herzl,1,45,all\nnorth,,,,,hillel,1,40,odd\n",
        "again.csv",
    )

    report = zones.import_zones(session, second)

    assert (report.zones_updated, report.ranges_created, report.ranges_removed) == (1, 1, 1)
    assert report.ranges_unchanged == 1
    assert zone_of(session, "herzl", 45) == "north"
    assert zone_of(session, "herzl", 48) is None
    assert zone_of(session, "herzl", 61) == "south"  # a zone the file left alone keeps its streets
    assert zone_of(session, "hillel", 3) == "north"
    assert zone_of(session, "hillel", 4) is None
    north = zones.zone_by_code(session, "north")
    assert north is not None
    assert north.name_he == "צפון עליון"


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(
    ("rows", "row", "problem"),
    [
        ("a,,א,أ,A,herzl,1,10,all\nb,,ב,ب,B,herzl,10,20,all\n", 3, "both a and b"),
        ("a,,א,أ,A,herzl,1,9,odd\nb,,ב,ب,B,herzl,3,3,all\n", 3, "both a and b"),
        (
            "a,,א,أ,A,herzl,1,9,odd\nb,,ב,ب,B,herzl,2,8,even\nc,,ג,ج,C,herzl,2,2,all\n",
            4,
            "both b and c",
        ),
        ("a,,א,أ,A,no_such_street,1,10,all\n", 2, "unknown street_code"),
        ("a,,א,أ,A,herzl,10,1,all\n", 2, "from_number > to_number"),
        ("a,,א,أ,A,herzl,x,1,all\n", 2, "from_number is not a number"),
        ("a,,א,أ,A,herzl,1,10000,all\n", 2, "to_number (1 to 9999)"),
        ("a,,א,أ,A,herzl,1,10,sides\n", 2, "parity"),
        ("a,car_park,א,أ,A,herzl,1,10,all\n", 2, "kind"),
        ("a b,,א,أ,A,herzl,1,10,all\n", 2, "zone_code"),
        ("a,,,أ,A,herzl,1,10,all\n", 2, "name_he"),
        ("a,,א,أ,A,herzl,1,10,all\na,,ב,,,hillel,1,10,all\n", 3, "differently"),
        ("a,,א,أ,A,herzl,1,10,all\na,,,,,herzl,1,10,all\n", 3, "the same range twice"),
    ],
)
def test_a_wrong_row_refuses_the_whole_file(
    session: Session, tmp_path: Path, rows: str, row: int, problem: str
) -> None:
    path = write(tmp_path, rows)

    with pytest.raises(ZonesFileInvalid) as refused:
        zones.import_zones(session, path)

    assert refused.value.params["row"] == row
    assert problem in str(refused.value.params["problem"])
    assert session.scalar(select(func.count(ParkingZone.id))) == 0
    assert session.scalar(select(func.count(ZoneStreetRange.id))) == 0


@pytest.mark.usefixtures("city")
def test_a_range_in_a_zone_the_file_leaves_alone_still_counts(
    session: Session, tmp_path: Path
) -> None:
    zones.import_zones(session, write(tmp_path, "a,,א,أ,A,herzl,1,10,all\n"))

    with pytest.raises(ZonesFileInvalid) as refused:
        zones.import_zones(session, write(tmp_path, "b,,ב,ب,B,herzl,5,6,all\n", "b.csv"))

    assert "both a and b" in str(refused.value.params["problem"])


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(
    ("features", "problem"),
    [
        ([{"type": "Feature", "properties": {}, "geometry": None}], '"zone" property'),
        (
            [{"type": "Feature", "properties": {"zone": "a"}, "geometry": {"type": "Point"}}],
            "Polygon or MultiPolygon",
        ),
        (
            [
                {
                    "type": "Feature",
                    "properties": {"zone": "a"},
                    "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
                }
            ],
            "four positions",
        ),
        (
            [
                {
                    "type": "Feature",
                    "properties": {"zone": "a"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]],
                    },
                }
            ],
            "end where it starts",
        ),
        (
            [
                {
                    "type": "Feature",
                    "properties": {"zone": "a"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]],
                    },
                }
            ],
            "within range",
        ),
        ([outline("zz", 0, 0, 1, 1)], "which is no zone"),
        ([outline("a", 0, 0, 1, 1), outline("a", 0, 0, 2, 2)], "two outlines"),
    ],
)
def test_a_wrong_outline_refuses_the_whole_import(
    session: Session, tmp_path: Path, features: list[object], problem: str
) -> None:
    outlines = tmp_path / "zones.geojson"
    outlines.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    with pytest.raises(ZonesFileInvalid) as refused:
        zones.import_zones(session, write(tmp_path, "a,,א,أ,A,herzl,1,10,all\n"), outlines=outlines)

    assert problem in str(refused.value.params["problem"])
    assert session.scalar(select(func.count(ParkingZone.id))) == 0


def test_the_command_loads_zones_and_says_what_is_wrong(
    fresh_database: FreshDatabase, toshav: CliRunner, tmp_path: Path
) -> None:
    with fresh_database.session() as db:
        load_city(db)
        db.commit()
    good = write(tmp_path, "a,,א,أ,A,herzl,1,10,all\n")
    outlines = tmp_path / "a.geojson"
    outlines.write_text(
        json.dumps({"type": "FeatureCollection", "features": [outline("a", 34, 32, 35, 33)]})
    )
    bad = write(tmp_path, "b,,ב,ب,B,herzl,5,6,all\n", "bad.csv")

    loaded = toshav.invoke(
        main,
        ["parking", "import-zones", str(good), "--outlines", str(outlines), "--language", "en"],
    )
    again = toshav.invoke(main, ["parking", "import-zones", str(good)])
    refused = toshav.invoke(main, ["parking", "import-zones", str(bad), "--language", "en"])

    assert loaded.exit_code == 0, loaded.output
    assert "zones: 1 created" in loaded.output
    assert "street ranges: 1 created" in loaded.output
    assert "outlines set: 1" in loaded.output
    assert again.exit_code == 0
    assert "אזורים: 0 נוספו, 0 עודכנו, 1 ללא שינוי" in again.output
    assert refused.exit_code == 1
    assert "The parking zones file bad.csv is wrong at row 2" in refused.output
    with fresh_database.session() as db:
        codes = db.scalars(select(ParkingZone.code)).all()
        assert codes == ["a"]
