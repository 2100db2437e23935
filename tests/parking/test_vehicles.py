"""Vehicles: Israeli plates stored as digits and shown with dashes, one household per plate, a cap per
household, and nobody else's vehicle in sight."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parking.models import Vehicle
from parking.schemas import normalise_plate, show_plate
from tests.parking.conftest import permit_holder, person, register
from toshav.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("parking_ready")


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("1234567", "1234567", "12-345-67"),
        ("12-345-67", "1234567", "12-345-67"),
        (" 12 345 67 ", "1234567", "12-345-67"),
        ("12345678", "12345678", "123-45-678"),
        ("123-45-678", "12345678", "123-45-678"),
        ("123.45.678", "12345678", "123-45-678"),
        ("123–45–678", "12345678", "123-45-678"),
    ],
)
def test_a_plate_is_kept_as_digits_and_shown_with_dashes(
    typed: str, stored: str, shown: str
) -> None:
    assert normalise_plate(typed) == stored
    assert show_plate(stored) == shown


@pytest.mark.parametrize(
    "typed",
    ["123456", "123456789", "12-345-6A", "AB-123-CD", "", "-------", "١٢٣٤٥٦٧", "12/345/67"],
)
def test_anything_but_seven_or_eight_digits_is_not_a_plate(typed: str) -> None:
    with pytest.raises(ValueError, match="7 or 8 digits"):
        normalise_plate(typed)


def test_a_resident_registers_a_vehicle_they_own_or_use(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    dana = person(session, settings, app)

    owned = register(client, dana, "12-345-67", "owner")
    used = register(client, dana, "123 45 678", "user")

    assert (owned["plate"], owned["relation"], owned["registered_by_me"]) == (
        "12-345-67",
        "owner",
        True,
    )
    assert (used["plate"], used["relation"]) == ("123-45-678", "user")
    listed = client.get("/api/v1/parking/vehicles/me", headers=dana.headers).json()
    assert [v["plate"] for v in listed] == ["12-345-67", "123-45-678"]
    assert sorted(session.scalars(select(Vehicle.plate)).all()) == ["1234567", "12345678"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"plate": "123456", "relation": "owner"}, "invalid_plate"),
        ({"plate": "12-345-6X", "relation": "owner"}, "invalid_plate"),
        ({"plate": "1" * 30, "relation": "owner"}, "invalid_plate"),
        ({"plate": "1" * 41, "relation": "owner"}, "validation_error"),
        ({"plate": 1234567, "relation": "owner"}, "validation_error"),
        ({"plate": "1234567", "relation": "thief"}, "validation_error"),
        ({"plate": "1234567"}, "validation_error"),
        ({"plate": "1234567", "relation": "owner", "resident_id": "x"}, "validation_error"),
    ],
)
def test_a_bad_vehicle_is_refused_and_nothing_is_written(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    body: dict[str, object],
    error: str,
) -> None:
    dana = person(session, settings, app)

    response = client.post("/api/v1/parking/vehicles", json=body, headers=dana.headers)

    assert (response.status_code, response.json()["error"]) == (422, error)
    assert session.scalar(select(func.count(Vehicle.id))) == 0


def test_a_plate_belongs_to_one_household_at_a_time(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    dana = person(session, settings, app)
    neighbour = person(session, settings, app, house_number=17)
    register(client, dana, "1234567")

    taken = client.post(
        "/api/v1/parking/vehicles",
        json={"plate": "12-345-67", "relation": "user"},
        headers=neighbour.headers,
    )

    assert (taken.status_code, taken.json()["error"]) == (409, "plate_taken")
    assert session.scalar(select(func.count(Vehicle.id))) == 1


def test_a_household_registers_up_to_the_cap(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    one = person(session, settings, app, house_number=30)
    partner = person(session, settings, app, house_number=30)
    register(client, one, "1111111")
    register(client, partner, "2222222")
    register(client, one, "3333333")

    over = client.post(
        "/api/v1/parking/vehicles",
        json={"plate": "4444444", "relation": "owner"},
        headers=partner.headers,
    )

    assert settings.parking_max_vehicles_per_household == 3
    assert (over.status_code, over.json()["error"]) == (409, "vehicle_limit")
    assert "3" in over.json()["detail"]
    household = client.get("/api/v1/parking/vehicles/me", headers=partner.headers).json()
    assert [(v["plate"], v["registered_by_me"]) for v in household] == [
        ("11-111-11", False),
        ("22-222-22", True),
        ("33-333-33", False),
    ]


def test_removing_a_vehicle_ends_its_permit_and_frees_the_plate(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    vehicle = client.get("/api/v1/parking/vehicles/me", headers=holder.headers).json()[0]

    removed = client.delete(f"/api/v1/parking/vehicles/{vehicle['id']}", headers=holder.headers)

    assert removed.status_code == 204
    assert client.get("/api/v1/parking/vehicles/me", headers=holder.headers).json() == []
    ended = client.get(f"/api/v1/parking/permits/{permit['id']}", headers=holder.headers).json()
    assert (ended["status"], ended["end_reason"]) == ("ended", "vehicle_removed")
    revoked = client.get("/api/v1/parking/revocations").json()["revoked"]
    assert [r["pass_id"] for r in revoked] == [permit["pass_id"]]
    newcomer = person(session, settings, app, house_number=41)
    assert register(client, newcomer, "1234567")["plate"] == "12-345-67"


def test_another_households_vehicle_is_not_found(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    dana = person(session, settings, app)
    stranger = person(session, settings, app, house_number=99)
    vehicle = register(client, dana, "1234567")

    removed = client.delete(f"/api/v1/parking/vehicles/{vehicle['id']}", headers=stranger.headers)
    parked = client.post(
        "/api/v1/parking/sessions",
        json={"plate": "1234567", "zone": "hadar_west"},
        headers=stranger.headers,
    )

    assert (removed.status_code, removed.json()["error"]) == (404, "vehicle_not_found")
    assert (parked.status_code, parked.json()["error"]) == (404, "vehicle_not_found")
    assert client.get("/api/v1/parking/vehicles/me", headers=stranger.headers).json() == []
    assert session.scalar(select(func.count(Vehicle.id)).where(Vehicle.removed_at.is_(None))) == 1
