"""Free parking time: the monthly minutes in the ledger, parking sessions that use them, the excess
recorded as paid time, never a negative allowance, and no session debited twice."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.models import Posting, Transaction
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.transactions import postings_of
from kernel.clock import SetClock
from parking.models import ParkingSession
from parking.service import parking_time, vehicles, zones
from resident_card.city.service import load_city
from resident_card.residents.service import records as residents
from tests.conftest import LiveServer
from tests.factories import auth_headers
from tests.parking.conftest import Person, person, register
from toshav.settings import ServiceSettings

SESSIONS = "/api/v1/parking/sessions"


def start(client: TestClient, who: Person, **body: Any) -> dict[str, Any]:
    response = client.post(SESSIONS, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def stop(client: TestClient, who: Person, session_id: str) -> dict[str, Any]:
    response = client.post(f"{SESSIONS}/{session_id}/stop", headers=who.headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def minutes_left(client: TestClient, who: Person) -> int:
    available: int = client.get("/api/v1/parking/me/minutes", headers=who.headers).json()[
        "available"
    ]
    return available


@pytest.fixture
def driver(
    parking_ready: None,
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
) -> Person:
    """A verified resident with a car and this month's 120 free minutes."""
    who = person(session, settings, app)
    register(client, who, "1234567")
    report = parking_time.grant_free_minutes(
        session, who.resident, now=clock.now(), settings=settings
    )
    assert (report.granted, report.amount) == (1, 120)
    return who


def test_the_monthly_minutes_are_granted_once_through_the_ledger(
    client: TestClient, session: Session, settings: ServiceSettings, clock: SetClock, driver: Person
) -> None:
    again = parking_time.grant_free_minutes(
        session, driver.resident, now=clock.now(), settings=settings
    )

    assert again.already_granted == 1
    assert minutes_left(client, driver) == 120
    assert client.get("/api/v1/parking/me", headers=driver.headers).json()["free_minutes"] == 120


def test_parking_uses_free_minutes_first_then_records_paid_time_and_never_goes_below_zero(
    client: TestClient, session: Session, clock: SetClock, driver: Person
) -> None:
    first = start(client, driver, plate="12-345-67", zone="hadar_west")
    clock.advance(minutes=44, seconds=30)  # a started minute counts
    first = stop(client, driver, first["id"])

    second = start(client, driver, plate="1234567", lot="lot_port")
    clock.advance(minutes=100)
    second = stop(client, driver, second["id"])

    third = start(client, driver, plate="1234567", zone="hadar_west")
    clock.advance(minutes=10)
    third = stop(client, driver, third["id"])

    assert (first["minutes"], first["free_minutes"], first["paid_minutes"]) == (45, 45, 0)
    assert (second["zone"], second["kind"]) == ("lot_port", "lot")
    assert (second["minutes"], second["free_minutes"], second["paid_minutes"]) == (100, 75, 25)
    assert (third["minutes"], third["free_minutes"], third["paid_minutes"]) == (10, 0, 10)
    assert minutes_left(client, driver) == 0
    accounts = parking_time.minute_accounts(session, driver.resident.id)
    assert [get_balance(session, a.id, now=clock.now()).available for a in accounts] == [0]
    rows = session.scalars(select(ParkingSession).order_by(ParkingSession.started_at)).all()
    assert [r.transaction_id is not None for r in rows] == [True, True, False]
    for row in rows[:2]:
        assert row.transaction_id is not None
        postings = postings_of(session, row.transaction_id)
        assert sum(p.amount for p in postings) == 0
        assert -sum(p.amount for p in postings if p.amount < 0) == row.free_minutes
    listed = client.get(f"{SESSIONS}/me", headers=driver.headers).json()
    assert [s["status"] for s in listed] == ["stopped"] * 3


def test_a_session_is_stopped_and_debited_once(
    client: TestClient, session: Session, clock: SetClock, driver: Person
) -> None:
    running = start(client, driver, plate="1234567", zone="hadar_west")
    clock.advance(minutes=30)

    first = stop(client, driver, running["id"])
    clock.advance(minutes=30)
    second = stop(client, driver, running["id"])

    assert second == first
    assert first["minutes"] == 30
    assert minutes_left(client, driver) == 90
    keyed = select(func.count(Transaction.id)).where(
        Transaction.reference == f"parking_session:{running['id']}"
    )
    assert session.scalar(keyed) == 1


def test_one_vehicle_parks_once_at_a_time_and_only_where_it_may(
    client: TestClient, session: Session, driver: Person
) -> None:
    start(client, driver, plate="1234567", zone="hadar_west")

    cases = [
        ({"plate": "1234567", "zone": "carmel"}, 409, "session_running"),
        ({"plate": "7654321", "zone": "carmel"}, 404, "vehicle_not_found"),
        ({"plate": "1234567", "zone": "lot_port"}, 422, "not_a_residential_zone"),
        ({"plate": "1234567", "lot": "carmel"}, 422, "not_a_lot"),
        ({"plate": "1234567", "zone": "atlantis"}, 422, "unknown_zone"),
        ({"plate": "1234567", "zone": "carmel", "lot": "lot_port"}, 422, "validation_error"),
        ({"plate": "1234567"}, 422, "validation_error"),
        ({"plate": "12345", "zone": "carmel"}, 422, "invalid_plate"),
    ]
    for body, status, error in cases:
        response = client.post(SESSIONS, json=body, headers=driver.headers)
        assert (response.status_code, response.json()["error"]) == (status, error), body
    assert session.scalar(select(func.count(ParkingSession.id))) == 1
    removing = client.get("/api/v1/parking/vehicles/me", headers=driver.headers).json()[0]
    blocked = client.delete(f"/api/v1/parking/vehicles/{removing['id']}", headers=driver.headers)
    assert (blocked.status_code, blocked.json()["error"]) == (409, "vehicle_parked")


def test_another_residents_session_is_not_found(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, driver: Person
) -> None:
    running = start(client, driver, plate="1234567", zone="hadar_west")
    stranger = person(session, settings, app, house_number=77)

    response = client.post(f"{SESSIONS}/{running['id']}/stop", headers=stranger.headers)
    unknown = client.post(f"{SESSIONS}/{uuid.uuid4()}/stop", headers=stranger.headers)

    assert (response.status_code, response.json()["error"]) == (404, "session_not_found")
    assert unknown.status_code == 404
    assert client.get(f"{SESSIONS}/me", headers=stranger.headers).json() == []
    row = session.get(ParkingSession, uuid.UUID(running["id"]))
    assert row is not None
    assert row.stopped_at is None


def test_a_started_minute_counts_and_a_moment_costs_nothing() -> None:
    start_at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert parking_time.minutes_between(start_at, start_at) == 0
    assert parking_time.minutes_between(start_at, start_at.replace(second=1)) == 1
    assert parking_time.minutes_between(start_at, start_at.replace(minute=1)) == 1
    assert parking_time.minutes_between(start_at, start_at.replace(minute=1, second=1)) == 2
    assert parking_time.minutes_between(start_at.replace(minute=5), start_at) == 0


@pytest.mark.postgres_only
def test_concurrent_stops_debit_once(live_server: LiveServer) -> None:
    database = live_server.database
    settings = database.settings
    now = datetime.now(UTC)
    with database.session() as db:
        load_city(db)
        zones.import_demo_zones(db)
        load_programmes(db, now=now)
        who = person(db, settings, live_server.app)
        register_in(db, settings, who)
        parking_time.grant_free_minutes(db, who.resident, now=now, settings=settings)
        db.commit()
        headers = auth_headers(live_server.app, who.user, now=now)
    base = live_server.base_url
    started = httpx.post(
        f"{base}{SESSIONS}", json={"plate": "1234567", "zone": "hadar_west"}, headers=headers
    )
    assert started.status_code == 201, started.text
    session_id = started.json()["id"]

    def stop_it(_: int) -> httpx.Response:
        return httpx.post(f"{base}{SESSIONS}/{session_id}/stop", headers=headers, timeout=30)

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(stop_it, range(32)))

    assert [a.status_code for a in answers] == [200] * 32, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    used = answers[0].json()["free_minutes"]
    assert used >= 1
    with database.session() as db:
        transactions = db.scalars(
            select(Transaction).where(Transaction.reference == f"parking_session:{session_id}")
        ).all()
        assert len(transactions) == 1
        postings = db.scalars(
            select(Posting).where(Posting.transaction_id == transactions[0].id)
        ).all()
        assert sorted(p.amount for p in postings) == [-used, used]
        resident = residents.get_resident(db, who.resident.id)
        assert resident is not None
        assert parking_time.free_minutes(db, resident, now=datetime.now(UTC)) == 120 - used


def register_in(db: Session, settings: ServiceSettings, who: Person) -> None:
    from parking.models import VehicleRelation

    vehicles.register_vehicle(
        db,
        settings,
        who.resident,
        plate="1234567",
        relation=VehicleRelation.owner,
        now=datetime.now(UTC),
    )
