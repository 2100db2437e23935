"""What the parking tests share: the city's streets and parking zones, the programmes, a signing key,
residents who can sign in, inspectors, and a permit with its pass."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.eligibility.service.programme_files import load_programmes
from kernel.clock import SetClock
from kernel.settings import Settings
from parking.service import zones
from resident_card.accounts.models import Role, User
from resident_card.city.service import load_city, street_by_code
from resident_card.credentials import service as credentials
from resident_card.residents.models import Resident
from tests.conftest import FreshDatabase
from tests.factories import auth_headers, create_resident, create_user
from toshav.settings import get_settings


@pytest.fixture
def toshav(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """The ``toshav`` command over a database of the test's own."""
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def parking_ready(session: Session, settings: Settings, clock: SetClock) -> None:
    """The bundled streets and parking zones, the shipped programmes, and a key that signs now."""
    load_city(session)
    zones.import_demo_zones(session)
    load_programmes(session, now=clock.now(), zone=ZoneInfo(settings.city_time_zone))
    credentials.rotate_key(
        session, settings, now=clock.now() - timedelta(days=2), activate_in=timedelta(0)
    )


@dataclass
class Person:
    """A resident who can sign in: their record, their user and their bearer header."""

    resident: Resident
    user: User
    headers: dict[str, str]


def person(
    session: Session,
    settings: Settings,
    app: FastAPI,
    *,
    street: str = "herzl",
    house_number: int = 15,
    **overrides: Any,
) -> Person:
    """A resident (verified unless told) at an address of the bundled streets (Herzl 15: hadar_west)."""
    user = create_user(session, settings, role=Role.resident)
    found = street_by_code(session, street)
    assert found is not None
    resident = create_resident(
        session, settings, user=user, street=found, house_number=house_number, **overrides
    )
    return Person(resident, user, auth_headers(app, user))


def inspector(session: Session, settings: Settings, app: FastAPI) -> dict[str, str]:
    return auth_headers(app, create_user(session, settings, role=Role.inspector))


def register(
    client: TestClient, who: Person, plate: str, relation: str = "owner"
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/parking/vehicles", json={"plate": plate, "relation": relation}, headers=who.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def apply(client: TestClient, who: Person, plate: str) -> dict[str, Any]:
    response = client.post("/api/v1/parking/permits", json={"plate": plate}, headers=who.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def permit_holder(
    client: TestClient,
    session: Session,
    settings: Settings,
    app: FastAPI,
    plate: str = "12-345-67",
    **where: Any,
) -> tuple[Person, dict[str, Any]]:
    """A verified resident with a vehicle and a granted permit (Herzl 15, hadar_west, by default)."""
    holder = person(session, settings, app, **where)
    register(client, holder, plate)
    permit = apply(client, holder, plate)
    assert permit["status"] == "active", permit
    return holder, permit
