"""A permit's last valid day is one day everywhere, counted on the city's calendar: the API's
answers, the printed pass, the scanner's verdict and the command line say the same date."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from parking.models import ParkingPass, Permit
from parking.service import passes, zones
from parking.service.calendar import last_valid_day
from resident_card.accounts.repository import UserRepository
from tests.conftest import FreshDatabase
from tests.parking.conftest import inspector, permit_holder
from toshav.cli import main
from toshav.settings import ServiceSettings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

CITY = ZoneInfo("Asia/Jerusalem")


def half_past_midnight_in_the_city(clock: SetClock) -> datetime:
    """The next 00:30 in the city: there the date is a day ahead of UTC's."""
    tomorrow = clock.now().astimezone(CITY).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 30), tzinfo=CITY).astimezone(UTC)


@pytest.mark.usefixtures("parking_ready")
def test_the_api_the_pass_and_the_scanner_say_the_same_last_day(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
) -> None:
    clock.at = half_past_midnight_in_the_city(clock)
    granted = clock.now().astimezone(CITY).date()
    holder, applied = permit_holder(client, session, settings, app)
    staff = inspector(session, settings, app)

    mine = client.get("/api/v1/parking/permits/me", headers=holder.headers).json()
    overview = client.get("/api/v1/parking/me", headers=holder.headers).json()
    one = client.get(f"/api/v1/parking/permits/{applied['id']}", headers=holder.headers).json()
    scanned = client.post(
        "/api/v1/parking/inspections", json={"pass": applied["pass_token"]}, headers=staff
    ).json()
    typed = client.post(
        "/api/v1/parking/inspections",
        json={"plate": "1234567", "zone": "hadar_west"},
        headers=staff,
    ).json()

    # Granted today (the city's date), it runs through the same date next year.
    expected = granted.replace(year=granted.year + 1).isoformat()
    assert applied["last_valid_day"] == expected
    assert mine[0]["last_valid_day"] == expected
    assert overview["permits"][0]["last_valid_day"] == expected
    assert one["last_valid_day"] == expected
    assert scanned["allowed"]
    assert scanned["last_valid_day"] == expected
    assert typed["allowed"]
    assert typed["last_valid_day"] == expected
    # The instant it ends is the midnight after that day, in the city.
    end = datetime.fromisoformat(applied["valid_until"]).astimezone(CITY)
    assert (end.date() - timedelta(days=1)).isoformat() == expected
    assert end.time() == time(0, 0)

    parking_pass = session.scalar(select(ParkingPass))
    zone = zones.zone_by_code(session, "hadar_west")
    assert parking_pass is not None
    assert zone is not None
    printed = [
        text
        for text, _, _ in passes.pass_lines(
            parking_pass, zone, ("he", "ar", "en"), settings=settings
        )
    ]
    day = datetime.fromisoformat(expected).strftime("%d.%m.%Y")
    assert f"Valid until: \u2066{day}\u2069" in printed
    assert f"בתוקף עד: \u2066{day}\u2069" in printed
    assert f"ساري حتى: \u2066{day}\u2069" in printed
    # The zone by its name in each language, never by its code.
    assert "Zone: Hadar West" in printed
    assert "אזור: הדר מערב" in printed
    assert not [line for line in printed if "hadar_west" in line]


def test_the_command_line_says_the_same_last_day(
    fresh_database: FreshDatabase, toshav: CliRunner
) -> None:
    loaded = toshav.invoke(main, ["demo", "load"])
    logins = toshav.invoke(main, ["demo", "logins"])

    assert loaded.exit_code == 0, loaded.output
    with fresh_database.session() as db:
        user = UserRepository(db).by_username("resident")
        assert user is not None
        permit = db.scalar(select(Permit).where(Permit.status == "granted"))
        assert permit is not None
        assert permit.valid_to is not None
        settings = ServiceSettings(database_url=fresh_database.url)
        day = last_valid_day(permit.valid_to, settings)
    granted = permit.valid_from.astimezone(CITY).date() if permit.valid_from else None
    assert granted is not None
    assert day == granted.replace(year=granted.year + 1)
    assert f"valid until {day.isoformat()}" in logins.output
