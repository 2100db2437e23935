"""The demo: the demo resident gets a car, a permit with its pass for her zone, and this month's free
minutes; ``toshav demo logins`` (which ``make run`` prints) shows the pass's plate and zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from parking.demo import DEMO_PLATE
from parking.service.parking_time import free_minutes
from parking.service.permits import my_permits
from parking.service.vehicles import household_vehicles, own_resident
from resident_card.accounts.repository import UserRepository
from tests.conftest import FreshDatabase
from toshav.cli import main

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


def test_the_demo_resident_parks_with_a_pass_and_free_minutes(
    fresh_database: FreshDatabase, toshav: CliRunner
) -> None:
    loaded = toshav.invoke(main, ["demo", "load"])
    again = toshav.invoke(main, ["demo", "load"])
    logins = toshav.invoke(main, ["demo", "logins"])

    assert loaded.exit_code == 0, loaded.output
    assert "parking permit for 12-345-67: active" in loaded.output
    assert again.exit_code == 0, again.output
    assert "parking permit: already there" in again.output
    assert logins.exit_code == 0, logins.output
    assert "resident's parking pass: plate 12-345-67, zone hadar_west (Hadar West)" in logins.output
    assert "  inspector  inspector" in logins.output  # the logins are still there
    now = datetime.now(UTC)
    with fresh_database.session() as db:
        user = UserRepository(db).by_username("resident")
        assert user is not None
        dana = own_resident(db, user.id)
        permits = my_permits(db, dana, now=now)
        assert [(p.state, p.permit.plate, p.zone.code if p.zone else None) for p in permits] == [
            ("active", DEMO_PLATE, "hadar_west")
        ]
        assert permits[0].parking_pass is not None
        assert free_minutes(db, dana, now=now) == 120
        assert [v.plate for v in household_vehicles(db, dana)] == [DEMO_PLATE]


def test_the_logins_print_before_the_demo_is_loaded(toshav: CliRunner) -> None:
    logins = toshav.invoke(main, ["demo", "logins"])

    assert logins.exit_code == 0, logins.output
    assert "resident   resident" in logins.output
    assert "parking pass" not in logins.output
