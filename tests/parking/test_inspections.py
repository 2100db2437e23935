"""Inspection: every reason a vehicle may or may not park, from a scanned pass or a typed plate; the
same verdict offline from the bundle; revocations; what is recorded and what is never said."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from kernel.changes.feed import ChangeFeed
from kernel.clock import SetClock
from parking.models import Inspection, ParkingPass, Permit
from parking.offline import StaleBundle, judge_offline
from parking.service import inspections, zones
from resident_card.accounts.models import Role
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import (
    CredentialSigner,
    b64url,
    b64url_decode,
    sign_credential,
    token_kid,
)
from resident_card.credentials.keys import generate_private_key, new_kid
from tests.conftest import FreshDatabase, LiveServer
from tests.factories import auth_headers, create_user
from tests.parking.conftest import Person, inspector, permit_holder, person, register
from toshav.cli import main
from toshav.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("parking_ready")

INSPECT = "/api/v1/parking/inspections"
# Herzl 15 lies in hadar_west; this point lies inside its outline, and this one in the Carmel's.
IN_HADAR_WEST = {"lat": 32.810, "lon": 34.999}
IN_CARMEL = {"lat": 32.797, "lon": 34.985}
IN_THE_SEA = {"lat": 32.900, "lon": 34.900}


def check(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(INSPECT, json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert set(answer) == {"allowed", "reason", "zone", "valid_until", "last_valid_day"}
    return answer


def _resign(
    session: Session,
    settings: ServiceSettings,
    claims: dict[str, Any],
    *,
    now: datetime,
    expires_at: datetime,
) -> str:
    return credentials.Keyring(settings).sign(
        session, claims, audience=settings.parking_pass_audience, now=now, expires_at=expires_at
    )


@pytest.fixture
def holder(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> tuple[Person, dict[str, Any]]:
    return permit_holder(client, session, settings, app)


# --- a scanned pass -----------------------------------------------------------------------------


def pass_cases(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> dict[str, tuple[str, dict[str, Any]]]:
    """A token and a place for each reason a pass can be given."""
    who, permit = holder
    token = permit["pass_token"]
    now = clock.now()
    header, payload, signature = token.split(".")
    tampered_claims = b64url_decode(payload).replace(b'"hadar_west"', b'"carmel"')
    foreign = CredentialSigner(new_kid(), generate_private_key(), settings.issuer)
    claims = {"sub": "AbCdEfGhIjKl", "plate": "7654321", "zone": "hadar_west"}

    # Signed by a key the city then retired, once the next one signed.
    credentials.rotate_key(
        session, settings, now=now - timedelta(seconds=40), activate_in=timedelta(0)
    )
    retired = _resign(session, settings, claims, now=now, expires_at=now + timedelta(days=1))
    credentials.rotate_key(
        session, settings, now=now - timedelta(seconds=20), activate_in=timedelta(0)
    )
    retired_kid = token_kid(retired)
    assert retired_kid is not None
    credentials.retire_key(session, kid=retired_kid, now=now)
    session.flush()

    register(client, who, "7654321")
    cancelled = client.post(
        "/api/v1/parking/permits", json={"plate": "7654321"}, headers=who.headers
    )
    assert cancelled.status_code == 201, cancelled.text
    revoked = cancelled.json()
    client.post(f"/api/v1/parking/permits/{revoked['id']}/cancel", headers=who.headers)
    return {
        "valid_permit": (token, {}),
        "valid_permit_here": (token, {"zone": "hadar_west"}),
        "valid_permit_by_gps": (token, IN_HADAR_WEST),
        "wrong_zone": (token, {"zone": "carmel"}),
        "wrong_zone_by_gps": (token, IN_CARMEL),
        "revoked": (revoked["pass_token"] or _pass_token_of(session, revoked["id"]), {}),
        "expired": (
            _resign(
                session,
                settings,
                claims,
                now=now - timedelta(days=1),
                expires_at=now - timedelta(minutes=2),
            ),
            {},
        ),
        "not_yet_valid": (
            _resign(
                session,
                settings,
                claims,
                now=now + timedelta(minutes=10),
                expires_at=now + timedelta(days=1),
            ),
            {},
        ),
        "bad_signature": (f"{header}.{b64url(tampered_claims)}.{signature}", {}),
        "bad_signature_unknown_key": (
            sign_credential(
                foreign,
                claims,
                audience=settings.parking_pass_audience,
                now=now,
                ttl=timedelta(days=1),
            ),
            {},
        ),
        "not_a_pass": (
            credentials.Keyring(settings).sign(
                session,
                {"sub": "card-ref"},
                audience=settings.card_audience,
                now=now,
                ttl=timedelta(minutes=2),
            ),
            {},
        ),
        "not_a_pass_phone": (
            sign_credential(
                CredentialSigner(
                    "d" + b64url(secrets.token_bytes(16)), generate_private_key(), settings.issuer
                ),
                {"sub": "card-ref"},
                audience=settings.card_audience,
                now=now,
                ttl=timedelta(minutes=1),
            ),
            {},
        ),
        "retired_key": (retired, {}),
        "malformed": ("this is not a pass", {}),
        "malformed_claims": (
            _resign(
                session,
                settings,
                {"sub": "AbCdEfGhIjKl", "plate": "12-345-67", "zone": "hadar_west"},
                now=now,
                expires_at=now + timedelta(days=1),
            ),
            {},
        ),
    }


def _pass_token_of(session: Session, permit_id: str) -> str:
    found = session.scalar(select(ParkingPass).where(ParkingPass.permit_id == uuid.UUID(permit_id)))
    assert found is not None
    return found.token


EXPECTED = {
    "valid_permit": (True, "valid_permit", "hadar_west"),
    "valid_permit_here": (True, "valid_permit", "hadar_west"),
    "valid_permit_by_gps": (True, "valid_permit", "hadar_west"),
    "wrong_zone": (False, "wrong_zone", "hadar_west"),
    "wrong_zone_by_gps": (False, "wrong_zone", "hadar_west"),
    "revoked": (False, "revoked", "hadar_west"),
    "expired": (False, "expired", None),
    "not_yet_valid": (False, "not_yet_valid", None),
    "bad_signature": (False, "bad_signature", None),
    "bad_signature_unknown_key": (False, "bad_signature", None),
    "not_a_pass": (False, "not_a_pass", None),
    "not_a_pass_phone": (False, "not_a_pass", None),
    "retired_key": (False, "retired_key", None),
    "malformed": (False, "malformed", None),
    "malformed_claims": (False, "malformed", None),
}


def test_each_reason_a_pass_is_given_online_and_offline_alike(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    cases = pass_cases(client, session, settings, app, clock, holder)
    staff = inspector(session, settings, app)
    bundle = client.get("/api/v1/parking/offline-bundle", headers=staff).json()

    for name, (token, place) in cases.items():
        online = check(client, staff, **{"pass": token, **place})
        offline = judge_offline(
            token,
            bundle,
            now=clock.now(),
            zone=place.get("zone"),
            latitude=place.get("lat"),
            longitude=place.get("lon"),
        ).as_json()

        assert (online["allowed"], online["reason"], online["zone"]) == EXPECTED[name], name
        assert _same(online, offline), (name, online, offline)
    valid = check(client, staff, **{"pass": holder[1]["pass_token"]})
    assert valid["valid_until"] is not None
    permit = session.get(Permit, uuid.UUID(holder[1]["id"]))
    assert permit is not None
    assert datetime.fromisoformat(valid["valid_until"]) == permit.valid_to


def _same(online: dict[str, Any], offline: dict[str, Any]) -> bool:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    return (
        online["allowed"] == offline["allowed"]
        and online["reason"] == offline["reason"]
        and online["zone"] == offline["zone"]
        and moment(online["valid_until"]) == moment(offline["valid_until"])
    )


def test_a_revoked_pass_is_refused_online_at_once_and_offline_once_the_bundle_is_refreshed(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    who, permit = holder
    staff = inspector(session, settings, app)
    token = permit["pass_token"]
    assert check(client, staff, **{"pass": token})["reason"] == "valid_permit"  # warms the cache
    old_bundle = client.get("/api/v1/parking/offline-bundle", headers=staff).json()

    client.post(f"/api/v1/parking/permits/{permit['id']}/cancel", headers=who.headers)
    clock.advance(seconds=1)

    assert check(client, staff, **{"pass": token})["reason"] == "revoked"
    assert judge_offline(token, old_bundle, now=clock.now()).reason == "valid_permit"
    new_bundle = client.get("/api/v1/parking/offline-bundle", headers=staff).json()
    assert [r["pass_id"] for r in new_bundle["revoked"]] == [permit["pass_id"]]
    assert judge_offline(token, new_bundle, now=clock.now()).reason == "revoked"


def test_the_offline_bundle_holds_keys_revocations_zones_and_its_end(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    staff = inspector(session, settings, app)

    response = client.get("/api/v1/parking/offline-bundle", headers=staff)

    assert response.status_code == 200
    bundle = response.json()
    assert set(bundle) == {
        "jwks",
        "retired_kids",
        "audience",
        "leeway_seconds",
        "revoked",
        "zones",
        "issued_at",
        "expires_at",
    }
    assert bundle["jwks"] == client.get("/.well-known/jwks.json").json()
    assert bundle["audience"] == settings.parking_pass_audience
    assert {z["code"] for z in bundle["zones"]} >= {"hadar_west", "carmel", "lot_port"}
    assert all(z["geometry"]["type"] == "Polygon" for z in bundle["zones"])
    expires = datetime.fromisoformat(bundle["expires_at"])
    assert expires - clock.now() == timedelta(seconds=settings.parking_offline_bundle_ttl_seconds)
    with pytest.raises(StaleBundle):
        judge_offline("x.y.z", bundle, now=expires)
    for role in (Role.resident, Role.merchant, Role.admin):
        other = auth_headers(app, create_user(session, settings, role=role))
        assert client.get("/api/v1/parking/offline-bundle", headers=other).status_code == 403
    assert client.get("/api/v1/parking/offline-bundle").status_code == 401


# --- a typed plate ------------------------------------------------------------------------------


def test_each_reason_a_plate_is_given(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    who, permit = holder
    staff = inspector(session, settings, app)
    # A parked neighbour with no permit, in a car park; a removed permit; an expired one.
    parker = person(session, settings, app, house_number=200, street="yafo")  # Bat Galim
    register(client, parker, "22-222-22")
    started = client.post(
        "/api/v1/parking/sessions",
        json={"plate": "2222222", "lot": "lot_port"},
        headers=parker.headers,
    )
    assert started.status_code == 201, started.text
    register(client, who, "3333333")
    cancelled = client.post(
        "/api/v1/parking/permits", json={"plate": "3333333"}, headers=who.headers
    )
    client.post(f"/api/v1/parking/permits/{cancelled.json()['id']}/cancel", headers=who.headers)
    elsewhere = person(session, settings, app, street="moriah", house_number=10)
    register(client, elsewhere, "44444444")
    expired = client.post(
        "/api/v1/parking/permits", json={"plate": "44444444"}, headers=elsewhere.headers
    )
    row = session.get(Permit, uuid.UUID(expired.json()["id"]))
    assert row is not None
    row.valid_to = clock.now() - timedelta(hours=1)
    session.flush()
    register(client, elsewhere, "5555555")  # registered, never a permit

    cases: list[tuple[dict[str, Any], tuple[bool, str, str | None]]] = [
        ({"plate": "12-345-67", "zone": "hadar_west"}, (True, "valid_permit", "hadar_west")),
        ({"plate": "1234567", **IN_HADAR_WEST}, (True, "valid_permit", "hadar_west")),
        ({"plate": "1234567", "zone": "carmel"}, (False, "wrong_zone", "hadar_west")),
        ({"plate": "2222222", "zone": "lot_port"}, (True, "active_session", "lot_port")),
        ({"plate": "2222222", "zone": "bat_galim"}, (False, "wrong_zone", "lot_port")),
        ({"plate": "3333333", "zone": "hadar_west"}, (False, "revoked", "hadar_west")),
        ({"plate": "44444444", "zone": "carmel"}, (False, "expired", "carmel")),
        ({"plate": "5555555", "zone": "carmel"}, (False, "no_permit", None)),
        ({"plate": "9999999", "zone": "carmel"}, (False, "unknown_vehicle", None)),
    ]
    for body, expected in cases:
        answer = check(client, staff, **body)
        assert (answer["allowed"], answer["reason"], answer["zone"]) == expected, body
    valid = check(client, staff, plate="1234567", zone="hadar_west")
    assert valid["valid_until"] == permit["valid_until"]


def test_a_plate_seen_earlier_is_judged_as_things_stood_then(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    staff = inspector(session, settings, app)
    before_the_permit = (clock.now() - timedelta(hours=2)).isoformat()

    answer = check(client, staff, plate="1234567", zone="hadar_west", at=before_the_permit)

    assert answer["reason"] == "no_permit"
    recorded = session.scalars(select(Inspection)).one()
    assert recorded.at == datetime.fromisoformat(before_the_permit)


def test_every_inspection_is_recorded_and_the_answer_names_no_one(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    who, permit = holder
    officer = create_user(session, settings, role=Role.inspector)
    staff = auth_headers(app, officer)

    by_pass = client.post(
        INSPECT, json={"pass": permit["pass_token"], **IN_HADAR_WEST}, headers=staff
    )
    by_plate = client.post(INSPECT, json={"plate": "1234567", "zone": "carmel"}, headers=staff)

    for response in (by_pass, by_plate):
        text = response.text
        assert who.resident.first_name not in text
        assert who.resident.last_name not in text
        assert "herzl" not in text.lower()
        assert who.resident.identifier_hint not in text
        assert response.headers["cache-control"] == "no-store"
    rows = session.scalars(select(Inspection).order_by(Inspection.method)).all()
    assert [
        (r.inspector_id, r.method, r.plate, r.zone_code, r.allowed, r.reason) for r in rows
    ] == [
        (officer.id, "pass", "1234567", "hadar_west", True, "valid_permit"),
        (officer.id, "plate", "1234567", "carmel", False, "wrong_zone"),
    ]
    assert (rows[0].latitude, rows[0].longitude) == (IN_HADAR_WEST["lat"], IN_HADAR_WEST["lon"])
    assert rows[0].pass_id == permit["pass_id"]
    listed = client.get(
        "/api/v1/parking/inspections", headers=_admin(session, settings, app)
    ).json()
    assert {r["plate"] for r in listed} == {"12-345-67"}
    assert client.get("/api/v1/parking/inspections", headers=staff).status_code == 403


def _admin(session: Session, settings: ServiceSettings, app: FastAPI) -> dict[str, str]:
    return auth_headers(app, create_user(session, settings, role=Role.admin))


BAD_INPUT = [
    ({"plate": "12-345"}, 422, "validation_error"),  # no place
    ({"plate": "123", "zone": "hadar_west"}, 422, "invalid_plate"),
    ({"plate": "1234567", "zone": "atlantis"}, 422, "unknown_zone"),
    ({"plate": "1234567", **IN_THE_SEA}, 422, "outside_zones"),
    ({"pass": "x", **IN_THE_SEA}, 422, "outside_zones"),
    ({"plate": "1234567", "lat": 32.81}, 422, "validation_error"),
    (
        {"plate": "1234567", "zone": "carmel", "lat": 32.81, "lon": 35.0},
        422,
        "validation_error",
    ),
    ({"pass": "x", "plate": "1234567", "zone": "carmel"}, 422, "validation_error"),
    ({}, 422, "validation_error"),
    ({"pass": "x", "name": "Dana"}, 422, "validation_error"),
    ({"pass": "x" * 5000}, 422, "validation_error"),
    ({"plate": "1234567", "zone": "carmel", "lat": 91, "lon": 0}, 422, "validation_error"),
    ({"pass": "x", "at": "2020-01-01T00:00:00+00:00"}, 422, "inspection_time_out_of_range"),
    ({"pass": "x", "at": "2999-01-01T00:00:00+00:00"}, 422, "inspection_time_out_of_range"),
    ({"pass": "x", "at": "2026-01-01T00:00:00"}, 422, "validation_error"),
]


@pytest.mark.parametrize(("body", "status", "error"), BAD_INPUT)
def test_bad_input_is_refused_and_nothing_is_recorded(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    body: dict[str, Any],
    status: int,
    error: str,
) -> None:
    response = client.post(INSPECT, json=body, headers=inspector(session, settings, app))

    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    assert session.scalar(select(func.count(Inspection.id))) == 0


@pytest.mark.parametrize(
    ("content_type", "content"),
    [("text/plain", b'{"pass": "a.b.c"}'), ("text/plain", rb'{"pass": "a\u0000b"}'), (None, b"")],
)
def test_a_body_that_is_not_json_is_refused_and_nothing_is_recorded(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    content_type: str | None,
    content: bytes,
) -> None:
    headers = inspector(session, settings, app)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = client.post(INSPECT, content=content, headers=headers)

    assert (response.status_code, response.json()["error"]) == (422, "validation_error")
    assert set(response.json()) == {"error", "detail"}
    assert session.scalar(select(func.count(Inspection.id))) == 0


@pytest.mark.parametrize("role", [Role.resident, Role.merchant, Role.admin, Role.auditor])
def test_only_inspectors_inspect(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, role: Role
) -> None:
    headers = auth_headers(app, create_user(session, settings, role=role))

    response = client.post(INSPECT, json={"plate": "1234567", "zone": "carmel"}, headers=headers)

    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert client.post(INSPECT, json={"plate": "1234567", "zone": "carmel"}).status_code == 401
    assert session.scalar(select(func.count(Inspection.id))) == 0


@contextmanager
def statements(connection: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.strip().split()[0].upper())

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def test_a_pass_is_judged_from_memory_with_no_query_but_its_record(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    connection: Connection,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    staff = inspector(session, settings, app)
    token = holder[1]["pass_token"]
    # As served: what is held answers for the database for a second (this suite's apps, inside
    # one transaction, read the change counters on every scan).
    app.state.runtime.part(inspections.InspectionDesk).cache.bound = 1.0
    # The first check loads the keys, revocations and zones, and the inspector's standing.
    check(client, staff, **{"pass": token, "zone": "hadar_west"})

    before = session.scalar(select(func.count(Inspection.id))) or 0
    with statements(connection) as seen:
        check(client, staff, **{"pass": token, "zone": "hadar_west"})

    # Only the record of the inspection (here written in the request's transaction: an INSERT, or
    # on PostgreSQL a COPY, which psycopg streams past the statement hooks).
    assert [s for s in seen if s in ("SELECT", "UPDATE", "DELETE")] == []
    copied = connection.dialect.name == "postgresql"
    assert [s for s in seen if s == "INSERT"] == ([] if copied else ["INSERT"])
    assert session.scalar(select(func.count(Inspection.id))) == before + 1


def test_the_revocation_list_is_public_and_cacheable(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    who, permit = holder
    empty = client.get("/api/v1/parking/revocations")
    client.post(f"/api/v1/parking/permits/{permit['id']}/cancel", headers=who.headers)

    first = client.get("/api/v1/parking/revocations")
    again = client.get(
        "/api/v1/parking/revocations", headers={"If-None-Match": first.headers["etag"]}
    )
    later = client.get(
        "/api/v1/parking/revocations",
        params={"since": (clock.now() + timedelta(minutes=5)).isoformat()},
    )
    from_next = client.get(
        "/api/v1/parking/revocations", params={"since": first.json()["next_since"]}
    )

    assert empty.json() == {"revoked": [], "next_since": None}
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=60"
    assert first.headers["etag"] != empty.headers["etag"]
    revoked = first.json()["revoked"]
    assert [r["pass_id"] for r in revoked] == [permit["pass_id"]]
    assert datetime.fromisoformat(revoked[0]["revoked_at"]) == clock.now()
    assert again.status_code == 304
    assert later.json()["revoked"] == []
    # Asking from next_since repeats the newest ids (a minute of overlap), never misses one.
    assert [r["pass_id"] for r in from_next.json()["revoked"]] == [permit["pass_id"]]
    for bad in ("yesterday", "2026-01-01T00:00:00"):
        response = client.get("/api/v1/parking/revocations", params={"since": bad})
        assert (response.status_code, response.json()["error"]) == (422, "invalid_since")


# --- records kept, and forgotten -------------------------------------------------------------


def test_old_inspections_lose_their_plate(fresh_database: FreshDatabase, toshav: CliRunner) -> None:
    from datetime import UTC

    now = datetime.now(UTC)
    with fresh_database.session() as db:
        officer = create_user(db, fresh_database.settings, role=Role.inspector)
        for days in (200, 91, 89, 1):
            db.add(
                Inspection(
                    inspector_id=officer.id,
                    at=now - timedelta(days=days),
                    method="plate",
                    plate="1234567",
                    pass_id="AbCdEfGhIjKl",
                    zone_code="carmel",
                    allowed=True,
                    reason="valid_permit",
                )
            )
        db.commit()

    default = toshav.invoke(main, ["parking", "anonymise"])
    shorter = toshav.invoke(
        main, ["parking", "anonymise", "--older-than-days", "30", "--language", "en"]
    )

    assert default.exit_code == 0, default.output
    assert "הוסרו מספרי רישוי מ־2 בדיקות" in default.output
    assert "Plates removed from 1 inspections older than 30 days." in shorter.output
    with fresh_database.session() as db:
        rows = db.scalars(select(Inspection).order_by(Inspection.at)).all()
        assert [(r.plate, r.pass_id, r.anonymised_at is not None) for r in rows] == [
            (None, None, True),
            (None, None, True),
            (None, None, True),
            ("1234567", "AbCdEfGhIjKl", False),
        ]
        assert [r.zone_code for r in rows] == ["carmel"] * 4  # the place and verdict stay
    refused = toshav.invoke(main, ["parking", "anonymise", "--older-than-days", "0"])
    assert refused.exit_code == 2


def test_a_served_app_writes_inspections_in_batches(live_server: LiveServer) -> None:
    database = live_server.database
    with database.session() as db:
        from resident_card.city.service import load_city

        load_city(db)
        zones.import_demo_zones(db)
        officer = create_user(db, database.settings, role=Role.inspector)
        db.commit()
        headers = auth_headers(live_server.app, officer)

    def inspect(plate: str) -> httpx.Response:
        return httpx.post(
            f"{live_server.base_url}{INSPECT}",
            json={"plate": plate, "zone": "carmel"},
            headers=headers,
            timeout=30,
        )

    answers = [inspect(f"{n:07d}") for n in range(1, 21)]

    assert {a.json()["reason"] for a in answers} == {"unknown_vehicle"}
    log = live_server.app.state.runtime.part(inspections.InspectionDesk).log
    log.flush()
    with database.session() as db:
        plates = db.scalars(select(Inspection.plate)).all()
    assert sorted(p or "" for p in plates) == [f"{n:07d}" for n in range(1, 21)]
    assert log.pending() == 0


def test_recorded_inspections_read_back_as_they_were_written(
    session: Session, settings: ServiceSettings, clock: SetClock
) -> None:
    officer = create_user(session, settings, role=Role.inspector)
    now = clock.now()
    records: list[dict[str, Any]] = [
        {
            "inspector_id": officer.id,
            "at": now - timedelta(minutes=i),
            "method": "pass" if i % 2 else "plate",
            "plate": None if i == 3 else f"{1_000_000 + i:07d}",
            "pass_id": f"pass{i}" if i % 2 else None,
            "zone_code": "carmel" if i != 4 else None,
            "latitude": 32.8 + i / 1000 if i % 3 == 0 else None,
            "longitude": 34.98 if i % 3 == 0 else None,
            "allowed": i % 2 == 1,
            "reason": "valid_permit" if i % 2 else "unknown_vehicle",
            "created_at": now,
        }
        for i in range(7)
    ]
    inspections.record_inspections(session, records)
    session.flush()

    rows = session.scalars(select(Inspection).order_by(Inspection.at.desc())).all()
    assert len({row.id for row in rows}) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert {column: getattr(row, column) for column in record} == record
        assert row.anonymised_at is None
    with pytest.raises((ValueError, StatementError), match="naive"):  # StatementError: SQLite's
        inspections.record_inspections(session, [{**records[0], "at": now.replace(tzinfo=None)}])


# --- judged from memory, never past the bound ------------------------------------------------------


class Ticks:
    """A monotonic clock a test moves by hand, for the cache's bound."""

    def __init__(self) -> None:
        self.at = 100.0

    def __call__(self) -> float:
        return self.at


def _asked(token: str, place: dict[str, Any]) -> inspections.InspectionRequest:
    return inspections.InspectionRequest(
        pass_token=token,
        plate=None,
        zone=place.get("zone"),
        latitude=place.get("lat"),
        longitude=place.get("lon"),
        at=None,
    )


def _cache(session: Session, ticks: Ticks, bound: float = 1.0) -> inspections.InspectionCache:
    """An inspection cache whose feed reads the change counters in the test's transaction."""
    return inspections.InspectionCache(ChangeFeed(clock=ticks), bound=bound)


def test_a_pass_judged_from_memory_gets_the_verdict_the_database_path_gives(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    cases = pass_cases(client, session, settings, app, clock, holder)
    ticks = Ticks()
    cache = _cache(session, ticks)

    for name, (token, place) in cases.items():
        asked = _asked(token, place)
        by_database = inspections.inspect(
            session, settings, cache, asked, now=clock.now(), moment=ticks()
        )
        from_memory = inspections.inspect_in_memory(
            settings, cache, asked, now=clock.now(), moment=ticks()
        )

        assert from_memory is not None, name
        assert from_memory == by_database, name


def test_past_the_bound_a_scan_never_answers_from_what_it_held(
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    _who, permit = holder
    ticks = Ticks()
    cache = _cache(session, ticks, bound=1.0)
    asked = _asked(permit["pass_token"], {"zone": "hadar_west"})

    def from_memory() -> str | None:
        judged = inspections.inspect_in_memory(
            settings, cache, asked, now=clock.now(), moment=ticks()
        )
        return None if judged is None else judged.verdict.reason.value

    def from_database() -> str:
        judged = inspections.inspect(
            session, settings, cache, asked, now=clock.now(), moment=ticks()
        )
        return judged.verdict.reason.value

    assert from_memory() is None  # nothing held yet
    assert from_database() == "valid_permit"
    assert from_memory() == "valid_permit"

    # Another process cancels the permit (here: the same transaction, past this cache's back).
    parking_pass = session.scalars(
        select(ParkingPass).where(ParkingPass.pass_id.is_not(None))
    ).one()
    parking_pass.revoked_at = clock.now()
    session.flush()
    ticks.at += 0.9  # within the bound, what is held may still answer...
    assert from_memory() == "valid_permit"
    ticks.at += 0.2  # ...past it, never: every scan from here on goes to the database
    for _ in range(3):
        assert from_memory() is None
    assert from_database() == "revoked"
    assert from_memory() == "revoked"  # held afresh, and the counters have not moved since
    ticks.at += 5
    assert from_memory() is None  # the feed must be caught up again before memory may answer
    assert from_database() == "revoked"


def test_while_one_thread_reloads_a_piece_the_others_wait_for_it(
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    ticks = Ticks()
    reads: list[int] = []
    started, release = threading.Event(), threading.Event()

    def read() -> dict[str, int]:
        reads.append(1)
        started.set()
        release.wait(10)
        return {"parking": 7, "credentials": 7}

    feed = ChangeFeed(clock=ticks)
    results: list[float] = []

    def catch_up() -> None:
        feed.catch_up(ticks() - 1.0, read)
        results.append(feed.known_through())

    threads = [threading.Thread(target=catch_up) for _ in range(8)]
    threads[0].start()
    assert started.wait(10)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)
    assert results == []  # every other thread waits for the read in flight, none answers before
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(reads) == 1
    assert results == [ticks()] * 8


def test_two_requests_reloading_the_keys_at_once_do_not_stall_each_other(
    fresh_database: FreshDatabase,
) -> None:
    settings = fresh_database.settings
    with Session(fresh_database.engine) as setup:
        credentials.rotate_key(setup, settings, now=datetime.now(UTC) - timedelta(minutes=1))
        setup.commit()
    ticks = Ticks()
    cache = inspections.InspectionCache(ChangeFeed(clock=ticks), bound=1.0)
    finished: list[str] = []
    failed: list[BaseException] = []

    def reload_keys(name: str, first_read: bool) -> None:
        try:
            with Session(fresh_database.engine) as own:
                if first_read:  # its transaction (on SQLite: the write lock) began before
                    own.execute(select(func.count(Inspection.id)))
                    waiting.set()
                    time.sleep(0.5)  # while the other request reads the keys
                else:
                    waiting.wait(10)
                cache.piece(own, "keys", ticks(), datetime.now(UTC))
                own.commit()
            finished.append(name)
        except BaseException as exc:  # an OperationalError after SQLite's busy timeout
            failed.append(exc)

    waiting = threading.Event()
    first = threading.Thread(target=reload_keys, args=("first", True))
    second = threading.Thread(target=reload_keys, args=("second", False))
    first.start()
    second.start()
    first.join(timeout=40)
    second.join(timeout=40)

    assert failed == []
    assert sorted(finished) == ["first", "second"]
    assert cache.fresh("keys", ticks()) is not None


def _scanner(
    settings: ServiceSettings, clock: SetClock, cache: inspections.InspectionCache, session: Session
) -> Callable[[str], str]:
    """An inspector's scan of a pass at hadar_west, as the endpoint makes it (from memory when it
    can, else through the database), giving the verdict's reason."""

    def scan(token: str) -> str:
        asked = _asked(token, {"zone": "hadar_west"})
        moment = cache.feed.clock()
        judged = inspections.inspect_in_memory(
            settings, cache, asked, now=clock.now(), moment=moment
        ) or inspections.inspect(session, settings, cache, asked, now=clock.now(), moment=moment)
        return judged.verdict.reason.value

    return scan


def test_the_passes_the_city_issued_are_known_without_a_signature_check_once_read(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    who, permit = holder
    ticks = Ticks()
    cache = _cache(session, ticks)
    scan = _scanner(settings, clock, cache, session)
    start = ticks.at

    token = permit["pass_token"]
    assert not cache.checked.vouched(token)
    assert scan(token) == "valid_permit"  # the first scan reads what the city issued...
    assert cache.checked.vouched(token)  # ...so its signature needed no check

    # Signed with the city's key but issued to no permit: not vouched for, its signature checked.
    stray = _resign(
        session,
        settings,
        {"sub": "AbCdEfGhIjKl", "plate": "7654321", "zone": "hadar_west"},
        now=clock.now(),
        expires_at=clock.now() + timedelta(days=30),
    )
    assert scan(stray) == "valid_permit"
    assert not cache.checked.vouched(stray)

    # A permit granted since: its pass is judged by its signature until the next look.
    register(client, who, "7654322")
    granted = client.post("/api/v1/parking/permits", json={"plate": "7654322"}, headers=who.headers)
    assert granted.status_code == 201, granted.text
    fresh = granted.json()["pass_token"]
    assert scan(fresh) == "valid_permit"
    assert not cache.checked.vouched(fresh)
    ticks.at = start + cache.issued_every + 0.5  # this scan asks the database
    assert scan(token) == "valid_permit"
    assert cache.checked.vouched(fresh)
    assert cache.checked.vouched(token)

    # Read whole again (what expired let go): a cancelled permit's pass is still the city's own,
    # and still refused, as revoked.
    client.post(f"/api/v1/parking/permits/{granted.json()['id']}/cancel", headers=who.headers)
    ticks.at = start + cache.issued_afresh_every + 1
    assert scan(fresh) == "revoked"
    assert cache.checked.vouched(fresh)
    assert not cache.checked.vouched(stray)


def test_a_pass_whose_key_is_retired_is_refused_as_such_once_past_the_bound(
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    holder: tuple[Person, dict[str, Any]],
) -> None:
    ticks = Ticks()
    cache = _cache(session, ticks)
    token = holder[1]["pass_token"]
    scan = partial(_scanner(settings, clock, cache, session), token)

    assert scan() == "valid_permit"
    assert scan() == "valid_permit"  # its signature remembered now
    assert len(cache.checked) == 1

    kid = token_kid(token)
    assert kid is not None
    credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(0))
    credentials.retire_key(session, kid=kid, now=clock.now())
    session.flush()
    ticks.at += 1.5
    assert scan() == "retired_key"
    assert scan() == "retired_key"
