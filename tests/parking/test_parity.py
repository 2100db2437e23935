"""The online verdict and the offline one agree on the same data: generated passes, revocation
lists, places and clocks, judged by the API and by ``judge_offline`` on the bundle it serves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from parking.models import ParkingPass
from parking.offline import judge_offline
from resident_card.accounts.models import Role, User
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import token_kid
from tests.factories import auth_headers, create_user
from tests.parking.conftest import permit_holder

pytestmark = pytest.mark.usefixtures("parking_ready")

INSPECT = "/api/v1/parking/inspections"
PLACES: list[dict[str, Any]] = [
    {},
    {"zone": "hadar_west"},
    {"zone": "carmel"},
    {"lat": 32.810, "lon": 34.999},  # inside Hadar West
    {"lat": 32.797, "lon": 34.985},  # inside the Carmel
]


def _moment(value: str | None) -> str | None:
    return None if value is None else value.replace("Z", "+00:00")


@pytest.fixture
def scene(
    client: TestClient, session: Session, settings: Settings, app: FastAPI, clock: SetClock
) -> tuple[User, list[str]]:
    """An inspector, and passes: two of one key, one of a key since retired, one tampered with."""
    first = permit_holder(client, session, settings, app, plate="12-345-67")[1]["pass_token"]
    second = permit_holder(client, session, settings, app, plate="1234568", house_number=17)
    credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(0))
    clock.advance(seconds=2)
    third = permit_holder(client, session, settings, app, plate="1234569", house_number=19)
    clock.advance(seconds=2)
    retiring = token_kid(third[1]["pass_token"])
    assert retiring is not None
    credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(0))
    clock.advance(seconds=2)
    credentials.retire_key(session, kid=retiring, now=clock.now())
    session.flush()
    tampered = first[:-2] + ("AA" if first[-2:] != "AA" else "BB")
    officer = create_user(session, settings, role=Role.inspector)
    return officer, [first, second[1]["pass_token"], third[1]["pass_token"], tampered]


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    which=st.integers(min_value=0, max_value=3),
    revoked=st.lists(
        st.tuples(st.integers(0, 2), st.integers(-3 * 86_400, 3 * 86_400)), max_size=3
    ),
    place=st.sampled_from(PLACES),
    shift=st.integers(min_value=-2 * 86_400, max_value=400 * 86_400),
)
def test_the_api_and_the_offline_bundle_give_the_same_verdict(
    client: TestClient,
    session: Session,
    clock: SetClock,
    app: FastAPI,
    scene: tuple[User, list[str]],
    which: int,
    revoked: list[tuple[int, int]],
    place: dict[str, Any],
    shift: int,
) -> None:
    officer, tokens = scene
    start = clock.at
    # Revocations are undone by another change (counters only grow, as committed ones do).
    passes = session.scalars(select(ParkingPass).order_by(ParkingPass.plate)).all()
    try:
        for index, seconds in revoked:
            passes[index].revoked_at = start + timedelta(seconds=seconds)
        session.flush()
        clock.at = start + timedelta(seconds=shift)
        staff = auth_headers(app, officer, now=datetime.now(UTC))  # bearer tokens: real time

        bundle_answer = client.get("/api/v1/parking/offline-bundle", headers=staff)
        assert bundle_answer.status_code == 200
        answer = client.post(INSPECT, json={"pass": tokens[which], **place}, headers=staff)
        offline_error: str | None = None
        try:
            offline: dict[str, Any] | None = judge_offline(
                tokens[which],
                bundle_answer.json(),
                now=clock.now(),
                zone=place.get("zone"),
                latitude=place.get("lat"),
                longitude=place.get("lon"),
            ).as_json()
        except Exception as exc:  # a place the bundle refuses: the API refuses it too
            offline, offline_error = None, type(exc).__name__

        if offline is None:
            assert answer.status_code == 422, (offline_error, answer.text)
        else:
            assert answer.status_code == 200, answer.text
            online = answer.json()
            assert (online["allowed"], online["reason"], online["zone"]) == (
                offline["allowed"],
                offline["reason"],
                offline["zone"],
            )
            assert _moment(online["valid_until"]) == _moment(offline["valid_until"])
    finally:
        for parking_pass in passes:
            parking_pass.revoked_at = None
        session.flush()
        clock.at = start
