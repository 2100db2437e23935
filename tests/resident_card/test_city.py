"""The city's street list: loading it, which neighbourhood an address is in, and the public search."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parking.offline import contains
from parking.service.zones import DATA_FOLDER as ZONES_FOLDER
from resident_card.city.exceptions import CityDataInvalid
from resident_card.city.models import HouseNumberRange, Neighbourhood, Street
from resident_card.city.service import DATA_FOLDER, load_city, neighbourhood_for, outline_shapes
from tests.conftest import FreshDatabase
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

NEIGHBOURHOODS_NAMED_IN_THE_BRIEF = {
    "Hadar HaCarmel",
    "Carmel Centre",
    "Bat Galim",
    "Neve Sha'anan",
    "Kiryat Haim",
    "Wadi Nisnas",
    "German Colony",
    "Ahuza",
    "Romema",
    "Kababir",
    "Kiryat Eliezer",
    "Neve David",
    "Downtown",
    "Stella Maris",
}


def _count(session: Session, model: type[Neighbourhood | Street | HouseNumberRange]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_loading_the_bundled_city_and_again_changes_nothing(session: Session) -> None:
    first = load_city(session)
    sizes = {m.__tablename__: _count(session, m) for m in (Neighbourhood, Street, HouseNumberRange)}

    second = load_city(session)

    assert first["neighbourhoods"]["created"] == sizes["neighbourhoods"] >= 14
    assert first["streets"]["created"] == sizes["streets"] >= 40
    assert first["ranges"]["created"] == sizes["house_number_ranges"]
    for kind, tally in second.items():
        assert tally["created"] == tally["updated"] == 0, kind
        assert tally["unchanged"] == first[kind]["created"]
    assert sizes == {
        m.__tablename__: _count(session, m) for m in (Neighbourhood, Street, HouseNumberRange)
    }


def test_every_place_is_named_in_three_languages(session: Session) -> None:
    load_city(session)
    neighbourhoods = session.scalars(select(Neighbourhood)).all()
    streets = session.scalars(select(Street)).all()
    assert {n.name_en for n in neighbourhoods} >= NEIGHBOURHOODS_NAMED_IN_THE_BRIEF
    places: list[Neighbourhood | Street] = [*neighbourhoods, *streets]
    for place in places:
        assert all(place.names.values()), place.code
        assert place.name_he != place.name_en
    hebrew = [s.name_he for s in streets]
    assert all(any("\u0590" <= ch <= "\u05ff" for ch in name) for name in hebrew)
    arabic = [s.name_ar for s in streets]
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in name) for name in arabic)


@pytest.mark.parametrize(
    ("street", "number", "expected"),
    [
        ("herzl", 10, "hadar"),
        ("moriah", 40, "carmel_centre"),
        ("moriah", 150, "ahuza"),
        ("hatziyonut", 7, "wadi_nisnas"),  # the odd side
        ("hatziyonut", 8, "hadar"),  # the even side
        ("hatziyonut", 150, "hadar"),
        ("yafo", 200, "bat_galim"),
        ("wadi_nisnas", 3, "wadi_nisnas"),
        ("stella_maris", 1, "stella_maris"),
        ("herzl", 999, None),  # past the last mapped number
        ("no_such_street", 1, None),
    ],
)
def test_the_neighbourhood_of_an_address(
    session: Session, street: str, number: int, expected: str | None
) -> None:
    load_city(session)
    found = neighbourhood_for(session, street, number)
    assert (found.code if found is not None else None) == expected


def test_neighbourhood_for_takes_a_street_or_its_id(session: Session) -> None:
    load_city(session)
    herzl = session.scalars(select(Street).where(Street.code == "herzl")).one()
    by_street = neighbourhood_for(session, herzl, 20)
    by_id = neighbourhood_for(session, herzl.id, 20)
    assert by_street is not None
    assert by_id is not None
    assert by_street.code == by_id.code == "hadar"


def test_one_side_of_the_street_beats_a_wider_range(session: Session, tmp_path: Path) -> None:
    folder = _copy_of_the_data(tmp_path)
    with (folder / "house_number_ranges.csv").open("a") as ranges:
        ranges.write("herzl,1,200,all,downtown\nherzl,1,99,even,bat_galim\n")
    load_city(session, folder)
    assert _code(neighbourhood_for(session, "herzl", 50)) == "bat_galim"
    assert _code(neighbourhood_for(session, "herzl", 51)) == "hadar"  # 1-120 is narrower than 1-200
    assert _code(neighbourhood_for(session, "herzl", 150)) == "downtown"


def _code(neighbourhood: Neighbourhood | None) -> str | None:
    return neighbourhood.code if neighbourhood is not None else None


def _copy_of_the_data(tmp_path: Path) -> Path:
    folder = tmp_path / "city"
    shutil.copytree(DATA_FOLDER, folder)
    return folder


def test_a_renamed_street_is_updated_not_duplicated(session: Session, tmp_path: Path) -> None:
    load_city(session)
    folder = _copy_of_the_data(tmp_path)
    streets = folder / "streets.csv"
    streets.write_text(streets.read_text().replace("Herzl\n", "Herzl Street\n"))

    counts = load_city(session, folder)

    assert counts["streets"]["updated"] == 1
    assert counts["streets"]["created"] == 0
    names = session.scalars(select(Street.name_en).where(Street.code == "herzl")).all()
    assert names == ["Herzl Street"]


@pytest.mark.parametrize(
    ("file", "change", "problem"),
    [
        ("house_number_ranges.csv", "\nherzl,1,10,all,atlantis\n", "unknown neighbourhood_code"),
        ("house_number_ranges.csv", "\nnowhere,1,10,all,hadar\n", "unknown street_code"),
        ("house_number_ranges.csv", "\nherzl,10,1,all,hadar\n", "from_number > to_number"),
        ("house_number_ranges.csv", "\nherzl,1,10,both,hadar\n", "parity"),
        ("house_number_ranges.csv", "\nherzl,one,10,all,hadar\n", "from_number is not a number"),
        ("streets.csv", "\nsilent,רחוב,,Silent\n", "name_ar"),
    ],
)
def test_wrong_city_data_is_refused_with_its_row(
    session: Session, tmp_path: Path, file: str, change: str, problem: str
) -> None:
    folder = _copy_of_the_data(tmp_path)
    path = folder / file
    path.write_text(path.read_text().rstrip("\n") + change)
    with pytest.raises(CityDataInvalid, match=problem) as raised:
        load_city(session, folder)
    assert f"{file} is wrong at row" in str(raised.value)


def test_a_file_without_its_columns_is_refused(session: Session, tmp_path: Path) -> None:
    folder = _copy_of_the_data(tmp_path)
    (folder / "streets.csv").write_text("code,name\nherzl,Herzl\n")
    with pytest.raises(CityDataInvalid, match="missing columns name_he, name_ar, name_en"):
        load_city(session, folder)


# --- the public API -----------------------------------------------------------------------------


def test_neighbourhoods_are_listed_in_three_languages(client: TestClient, session: Session) -> None:
    load_city(session)
    response = client.get("/api/v1/city/neighbourhoods")
    assert response.status_code == 200
    by_code = {n["code"]: n["names"] for n in response.json()}
    assert by_code["wadi_nisnas"] == {
        "he": "ואדי ניסנאס",
        "ar": "وادي النسناس",
        "en": "Wadi Nisnas",
    }
    assert len(by_code) >= 14


# Where each parking zone (and car park) lies: in the neighbourhood of the same streets.
ZONES_IN = {
    "hadar_west": "hadar",
    "hadar_east": "hadar",
    "carmel": "carmel_centre",
    "ahuza": "ahuza",
    "downtown": "downtown",
    "bat_galim": "bat_galim",
    "lot_carmel": "carmel_centre",
    "lot_port": "downtown",
    "lot_bat_galim": "bat_galim",
}


def test_every_neighbourhood_has_one_outline_over_its_parking_zones() -> None:
    shapes = outline_shapes()
    codes = [line.split(",")[0] for line in (DATA_FOLDER / "neighbourhoods.csv").open()][1:]
    assert sorted(shapes) == sorted(codes)
    for shape in shapes.values():
        assert shape["type"] == "Polygon"
        ring = shape["coordinates"][0]
        assert ring[0] == ring[-1]
        assert all(34.9 < x < 35.1 and 32.75 < y < 32.85 for x, y in ring)  # around Haifa
    zones = json.loads((ZONES_FOLDER / "zones.geojson").read_text())["features"]
    for zone in zones:
        ring = zone["geometry"]["coordinates"][0]
        x = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        y = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        holding = [code for code, shape in shapes.items() if contains(shape, x, y)]
        assert holding == [ZONES_IN[zone["properties"]["zone"]]], zone["properties"]


def test_the_outlines_are_served_as_geojson_with_their_names(
    client: TestClient, session: Session
) -> None:
    load_city(session)
    response = client.get("/api/v1/city/neighbourhoods.geojson")
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in collection["features"]}
    assert len(by_code) == len(outline_shapes())
    assert by_code["abbas"]["properties"]["names"]["ar"] == "حي عباس"
    assert by_code["abbas"]["geometry"] == outline_shapes()["abbas"]


@pytest.mark.parametrize("q", ["herz", "HERZL", "הרצ", "هرتسل"])
def test_streets_are_found_in_any_language(client: TestClient, session: Session, q: str) -> None:
    load_city(session)
    response = client.get("/api/v1/city/streets", params={"q": q})
    assert response.status_code == 200
    found = {s["code"]: s for s in response.json()}
    assert "herzl" in found
    assert found["herzl"]["names"] == {"he": "הרצל", "ar": "هرتسل", "en": "Herzl"}
    assert found["herzl"]["neighbourhoods"] == ["hadar"]


def test_street_search_is_literal_and_bounded(client: TestClient, session: Session) -> None:
    load_city(session)
    assert client.get("/api/v1/city/streets", params={"q": "%"}).json() == []
    # "a_b" as a LIKE pattern would match "Abba"; taken literally it matches nothing.
    assert client.get("/api/v1/city/streets", params={"q": "a_b"}).json() == []
    everything = client.get("/api/v1/city/streets", params={"limit": 100}).json()
    assert len(everything) >= 40
    assert len(client.get("/api/v1/city/streets", params={"limit": 5}).json()) == 5
    too_long = client.get("/api/v1/city/streets", params={"q": "x" * 61})
    assert too_long.status_code == 422
    assert too_long.json()["error"] == "validation_error"
    assert client.get("/api/v1/city/streets", params={"limit": 0}).status_code == 422


def test_a_street_spanning_neighbourhoods_lists_them_all(
    client: TestClient, session: Session
) -> None:
    load_city(session)
    found = client.get("/api/v1/city/streets", params={"q": "Yafo"}).json()
    assert found[0]["code"] == "yafo"
    assert found[0]["neighbourhoods"] == ["bat_galim", "downtown"]


# --- the command --------------------------------------------------------------------------------


@pytest.fixture
def fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _env(database: FreshDatabase, tmp_path: Path) -> dict[str, str]:
    return {
        "TOSHAV_DATABASE_URL": database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_ID_HASH_KEY": database.settings.id_hash_key.get_secret_value(),
    }


@pytest.mark.usefixtures("fresh_settings_cache")
def test_city_load_command_is_idempotent(fresh_database: FreshDatabase, tmp_path: Path) -> None:
    runner = CliRunner(env=_env(fresh_database, tmp_path))

    first = runner.invoke(main, ["city", "load", "--language", "en"])
    second = runner.invoke(main, ["city", "load", "--language", "en"])

    assert first.exit_code == 0, first.output
    assert "streets: 42 created, 0 updated, 0 unchanged" in first.output
    assert second.exit_code == 0, second.output
    assert "streets: 0 created, 0 updated, 42 unchanged" in second.output
    with fresh_database.session() as session:
        assert _count(session, Street) == 42


@pytest.mark.usefixtures("fresh_settings_cache")
def test_city_load_command_speaks_hebrew_by_default_and_refuses_bad_data(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    folder = _copy_of_the_data(tmp_path)
    (folder / "streets.csv").write_text("code,name\nherzl,Herzl\n")
    runner = CliRunner(env=_env(fresh_database, tmp_path))

    result = runner.invoke(main, ["city", "load", "--folder", str(folder)])

    assert result.exit_code == 1
    assert "קובץ נתוני העיר streets.csv שגוי" in result.output
    with fresh_database.session() as session:
        assert _count(session, Neighbourhood) == 0  # nothing kept of a failed load
