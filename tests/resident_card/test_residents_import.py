"""``toshav residents import``: the registry's export comes in verified, once, with its rejects reported."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from resident_card.audit.models import AuditEntry
from resident_card.city.service import load_city
from resident_card.residents.models import Resident, StatusChange
from tests.conftest import FreshDatabase
from tests.factories import israeli_id
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

COLUMNS = [
    "identifier_kind",
    "identifier",
    "first_name",
    "last_name",
    "date_of_birth",
    "street_code",
    "house_number",
    "apartment",
    "email",
    "phone",
    "resident_since",
]
GOOD = [
    [
        "israeli_id",
        israeli_id(2_001),
        "Dana",
        "Levi",
        "1988-04-12",
        "herzl",
        "15",
        "4",
        "dana@example.org",
        "",
        "2019-09-01",
    ],
    [
        "israeli_id",
        israeli_id(2_002).lstrip("0"),
        "Yusuf",
        "Haddad",
        "1975-11-30",
        "wadi_nisnas",
        "12",
        "",
        "",
        "04-8123456",
        "",
    ],
    ["foster_care", "FC-2024-0042", "Mira", "Cohen", "2017-06-01", "herzl", "15", "4", "", "", ""],
    [
        "passport",
        "X1234567",
        "Olena",
        "Kovalenko",
        "1992-02-29",
        "hanevim",
        "3",
        "",
        "olena@example.org",
        "",
        "2024-03-15",
    ],
]
BAD = [
    # (row, reason code)
    (
        ["israeli_id", "123456789", "A", "B", "1980-01-01", "herzl", "1", "", "", "", ""],
        "invalid_id_number",
    ),
    (
        ["israeli_id", israeli_id(2_003), "A", "B", "1980-01-01", "atlantis", "1", "", "", "", ""],
        "unknown_street",
    ),
    (
        ["israeli_id", israeli_id(2_004), "A", "B", "01/01/1980", "herzl", "1", "", "", "", ""],
        "invalid_column",
    ),
    (
        ["israeli_id", israeli_id(2_005), "A", "B", "2999-01-01", "herzl", "1", "", "", "", ""],
        "date_of_birth_in_future",
    ),
    (
        ["israeli_id", israeli_id(2_006), "", "B", "1980-01-01", "herzl", "1", "", "", "", ""],
        "invalid_column",
    ),
    (
        ["licence", "A1234567", "A", "B", "1980-01-01", "herzl", "1", "", "", "", ""],
        "invalid_column",
    ),
    (
        ["israeli_id", israeli_id(2_007), "A", "B", "1980-01-01", "herzl", "0", "", "", "", ""],
        "invalid_column",
    ),
    (
        [
            "israeli_id",
            israeli_id(2_008),
            "A",
            "B",
            "1980-01-01",
            "herzl",
            "1",
            "",
            "not-an-email",
            "",
            "",
        ],
        "invalid_column",
    ),
    (
        ["israeli_id", israeli_id(2_009), "A", "B", "1980-01-01", "herzl", "1", "", "", "12", ""],
        "invalid_column",
    ),
    (
        [
            "israeli_id",
            israeli_id(2_010),
            "A",
            "B",
            "1980-01-01",
            "herzl",
            "1",
            "",
            "",
            "",
            "1970-01-01",
        ],
        "invalid_column",
    ),
]


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def city_database(fresh_database: FreshDatabase) -> FreshDatabase:
    with fresh_database.session() as session:
        load_city(session)
        session.commit()
    return fresh_database


def _runner(database: FreshDatabase, tmp_path: Path) -> CliRunner:
    return CliRunner(
        env={
            "TOSHAV_DATABASE_URL": database.url,
            "TOSHAV_VAR_DIR": str(tmp_path),
            "TOSHAV_ID_HASH_KEY": database.settings.id_hash_key.get_secret_value(),
        }
    )


def _export(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "registry.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def test_import_creates_verified_residents_and_reports_each_reject(
    city_database: FreshDatabase, tmp_path: Path
) -> None:
    rows = [*GOOD[:2], *(row for row, _ in BAD), *GOOD[2:]]
    export = _export(tmp_path, rows)
    report = tmp_path / "rejected.csv"

    result = _runner(city_database, tmp_path).invoke(
        main, ["residents", "import", str(export), "--report", str(report), "--language", "en"]
    )

    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip().splitlines()[-1] == f"created: 4, unchanged: 0, rejected: {len(BAD)}"
    )
    assert "Importing residents" in result.stderr
    with report.open(newline="", encoding="utf-8") as handle:
        reported = list(csv.DictReader(handle))
    # Line 1 is the header, the two good rows are lines 2-3, the rejects start at line 4.
    assert [(int(r["row"]), r["error"]) for r in reported] == [
        (4 + i, code) for i, (_, code) in enumerate(BAD)
    ]
    assert all(r["detail"] for r in reported)
    assert "row 4 rejected: The ID number is not valid" in result.stderr
    for text in (report.read_text(), result.stdout, result.stderr):
        for row in rows:
            assert row[1] not in text, "an identifier was echoed"

    with city_database.session() as session:
        imported = session.scalars(select(Resident).order_by(Resident.last_name)).all()
        assert [(r.last_name, r.status, r.user_id) for r in imported] == [
            ("Cohen", "verified", None),
            ("Haddad", "verified", None),
            ("Kovalenko", "verified", None),
            ("Levi", "verified", None),
        ]
        by_name = {r.last_name: r for r in imported}
        assert str(by_name["Levi"].resident_since) == "2019-09-01"
        assert by_name["Haddad"].phone == "048123456"
        assert by_name["Cohen"].household_id == by_name["Levi"].household_id
        assert by_name["Cohen"].identifier_kind == "foster_care"
        history = session.scalars(select(StatusChange)).all()
        assert {(h.from_status, h.to_status, h.reason) for h in history} == {
            (None, "verified", "population registry import")
        }
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "residents.import")
        ).one()
        assert entry.after == {
            "source": "registry.csv",
            "created": 4,
            "unchanged": 0,
            "rejected": len(BAD),
        }


def test_running_the_import_again_changes_nothing(
    city_database: FreshDatabase, tmp_path: Path
) -> None:
    export = _export(tmp_path, [*GOOD, BAD[0][0]])
    runner = _runner(city_database, tmp_path)

    first = runner.invoke(main, ["residents", "import", str(export), "--language", "en"])
    with city_database.session() as session:
        snapshot = session.execute(
            select(
                Resident.id, Resident.status, Resident.identifier_hash, Resident.household_id
            ).order_by(Resident.id)
        ).all()
    second = runner.invoke(main, ["residents", "import", str(export), "--language", "en"])

    assert first.exit_code == second.exit_code == 0
    assert first.stdout.strip().endswith("created: 4, unchanged: 0, rejected: 1")
    assert second.stdout.strip().endswith("created: 0, unchanged: 4, rejected: 1")
    with city_database.session() as session:
        assert (
            session.execute(
                select(
                    Resident.id, Resident.status, Resident.identifier_hash, Resident.household_id
                ).order_by(Resident.id)
            ).all()
            == snapshot
        )
        assert session.scalar(select(func.count()).select_from(StatusChange)) == 4


def test_the_same_person_twice_in_one_export_is_one_resident(
    city_database: FreshDatabase, tmp_path: Path
) -> None:
    again = list(GOOD[0])
    again[1] = again[1][:3] + "-" + again[1][3:]  # written differently, the same number
    export = _export(tmp_path, [GOOD[0], again])
    result = _runner(city_database, tmp_path).invoke(
        main, ["residents", "import", str(export), "--language", "en"]
    )
    assert result.stdout.strip().endswith("created: 1, unchanged: 1, rejected: 0")


def test_the_import_speaks_hebrew_by_default(city_database: FreshDatabase, tmp_path: Path) -> None:
    export = _export(tmp_path, [GOOD[0], BAD[1][0]])
    result = _runner(city_database, tmp_path).invoke(main, ["residents", "import", str(export)])
    assert result.exit_code == 0
    assert "נוספו: 1, ללא שינוי: 0, נדחו: 1" in result.stdout
    assert "שורה 3 נדחתה" in result.stderr


def test_an_export_without_its_columns_is_refused_whole(
    city_database: FreshDatabase, tmp_path: Path
) -> None:
    export = tmp_path / "wrong.csv"
    export.write_text("id,name\n123456782,Dana\n")
    result = _runner(city_database, tmp_path).invoke(
        main, ["residents", "import", str(export), "--language", "en"]
    )
    assert result.exit_code == 1
    assert "The file lacks the columns: identifier, first_name" in result.output
    with city_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Resident)) == 0
