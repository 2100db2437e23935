"""Resident permits: decided by the eligibility engine with its reasons, a year long, with a signed
pass to print; refused applications the resident can read; cancelling and moving house."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision
from kernel.clock import SetClock
from parking.models import ParkingPass, Permit
from resident_card.city.service import street_by_code
from resident_card.credentials.jws import verify_credential
from tests.parking.conftest import apply, permit_holder, person, register
from tests.resident_card.credentials_support import (
    decode_qr_png,
    joserfc_claims,
    jwks_from,
    read_qr_codes,
)
from toshav.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("parking_ready")


def _texts(permit: dict[str, Any]) -> list[str]:
    return [reason["text"] for reason in permit["reasons"] if reason["kind"] == "compare"]


def _expressions(permit: dict[str, Any]) -> list[str]:
    return [reason["expression"] for reason in permit["reasons"] if reason["kind"] == "compare"]


def test_a_verified_resident_gets_a_years_permit_for_their_zone_with_a_signed_pass(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    dana = person(session, settings, app, street="herzl", house_number=15)
    register(client, dana, "1234567")

    permit = apply(client, dana, "12 345 67")

    assert permit["status"] == "active"
    assert (permit["plate"], permit["zone"], permit["zone_name"]) == (
        "12-345-67",
        "hadar_west",
        "Hadar West",
    )
    assert _texts(permit) == [
        "Your residency has been verified.",
        "Your address is in the Hadar West parking zone.",
        "The vehicle is registered to you or to someone in your household.",
        "A household may hold 2 permits; yours holds 0.",
    ]
    assert _expressions(permit) == [
        "residency status verified = verified ✓",
        "parking zone Hadar West ≠ none ✓",
        "vehicle registered to the resident or household yes = yes ✓",
        "household parking permits in force 0 < 2 ✓",
    ]
    # The zone is named in the reader's language, as the city calls it; never by its code.
    for language, zone in (("he", "הדר מערב"), ("ar", "غرب الهدار")):
        again = client.get(
            f"/api/v1/parking/permits/{permit['id']}",
            headers={**dana.headers, "Accept-Language": language},
        ).json()
        assert zone in _texts(again)[1]
        assert "hadar_west" not in _texts(again)[1]
    valid_from = clock.now()
    assert permit["valid_from"].startswith(valid_from.isoformat()[:19])
    # Through the same date next year, on the city's calendar.
    assert (
        permit["valid_until"].startswith(f"{valid_from.year + 1}-{valid_from.strftime('%m')}")
        or permit["valid_until"][:7] > f"{valid_from.year + 1}"
    )
    listed = client.get("/api/v1/parking/permits/me", headers=dana.headers).json()
    assert [p["id"] for p in listed] == [permit["id"]]
    token = listed[0]["pass_token"]
    assert token == permit["pass_token"]

    claims = joserfc_claims(
        token, jwks_from(client), audience=settings.parking_pass_audience, now=clock.now()
    )
    assert claims["plate"] == "1234567"
    assert claims["zone"] == "hadar_west"
    assert claims["sub"] == permit["pass_id"]
    assert claims["exp"] == int(
        session.get(Permit, uuid.UUID(permit["id"])).valid_to.timestamp()  # type: ignore[union-attr]
    )
    # No name, no ID number, nothing but what an inspector needs.
    assert set(claims) == {"iss", "aud", "sub", "jti", "plate", "zone", "iat", "exp"}
    assert dana.resident.first_name not in token
    decision = session.get(Decision, uuid.UUID(permit["decision_id"]))
    assert decision is not None
    assert decision.eligible
    assert decision.facts["parking_zone"] == "hadar_west"


@pytest.mark.parametrize(
    ("granted", "runs_through"),
    [
        ("2026-03-10T15:30", "2027-03-10"),
        ("2026-11-24T23:59", "2027-11-24"),  # late at night: still that day in the city
        ("2028-02-29T09:00", "2029-02-28"),
    ],
)
def test_the_permit_runs_a_year_through_the_same_date(
    settings: ServiceSettings, granted: str, runs_through: str
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from parking.service import calendar

    city = ZoneInfo(settings.city_time_zone)
    now = datetime.fromisoformat(granted).replace(tzinfo=city).astimezone(UTC)

    end = calendar.one_year_on(now, settings)

    assert calendar.last_valid_day(end, settings).isoformat() == runs_through
    assert end.astimezone(city).time().isoformat() == "00:00:00"


def test_a_permit_past_its_end_reads_expired_and_shows_no_pass(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    row = session.get(Permit, uuid.UUID(permit["id"]))
    assert row is not None
    assert row.valid_from is not None
    row.valid_from = row.valid_from - timedelta(days=400)
    row.valid_to = clock.now() - timedelta(seconds=1)
    session.flush()

    expired = client.get("/api/v1/parking/permits/me", headers=holder.headers).json()[0]

    assert expired["status"] == "expired"
    assert expired["pass_token"] is None
    again = apply(client, holder, "1234567")  # an expired permit is renewed by applying again
    assert again["status"] == "active"


_NOT_THE_HOUSEHOLDS = (
    "A permit is only for a vehicle registered to you or to someone in your household, "
    "and this one is not."
)


@pytest.mark.parametrize(
    ("setup", "failing", "said"),
    [
        (
            "pending",
            "residency status waiting for verification = verified ✗",
            "A parking permit is only for residents whose residency has been verified; "
            "yours is: waiting for verification.",
        ),
        (
            "no_zone",
            "parking zone none ≠ none ✗",
            "A permit is for residents of a parking zone, and your address is in none.",
        ),
        (
            "not_mine",
            "vehicle registered to the resident or household no = yes ✗",
            _NOT_THE_HOUSEHOLDS,
        ),
        (
            "unregistered",
            "vehicle registered to the resident or household no = yes ✗",
            _NOT_THE_HOUSEHOLDS,
        ),
    ],
)
def test_a_refusal_is_kept_with_its_reasons(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    setup: str,
    failing: str,
    said: str,
) -> None:
    if setup == "pending":
        applicant = person(session, settings, app, status="pending")
    elif setup == "no_zone":  # a street the parking authority has not zoned
        applicant = person(session, settings, app, street="herzl", house_number=500)
    else:
        applicant = person(session, settings, app)
    if setup == "not_mine":
        neighbour = person(session, settings, app, house_number=17)
        register(client, neighbour, "7654321")
    elif setup != "unregistered":
        # A pending resident may register a vehicle; the rule, not the registration, refuses.
        register(client, applicant, "7654321")

    refused = apply(client, applicant, "76-543-21")

    assert refused["status"] == "refused"
    assert refused["pass_token"] is None
    assert refused["valid_from"] is None
    assert failing in _expressions(refused)
    assert said in _texts(refused)
    assert (
        client.get("/api/v1/parking/permits/me", headers=applicant.headers).json()[0]["status"]
        == "refused"
    )
    assert session.scalar(select(func.count(ParkingPass.id))) == 0


def test_permits_per_household_stop_at_the_rules_cap(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    one = person(session, settings, app, house_number=20)
    partner = person(session, settings, app, house_number=20)
    for plate in ("1111111", "2222222", "33333333"):
        register(client, one, plate)

    first = apply(client, one, "1111111")
    second = apply(client, partner, "2222222")  # the household's vehicle, the partner applies
    third = apply(client, one, "333-33-333")

    assert (first["status"], second["status"], third["status"]) == ("active", "active", "refused")
    assert "A household may hold 2 permits; yours holds 2 already." in _texts(third)
    assert "household parking permits in force 2 < 2 ✗" in _expressions(third)


def test_a_vehicle_has_one_permit_in_force_at_a_time(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    holder, _permit = permit_holder(client, session, settings, app)

    again = client.post(
        "/api/v1/parking/permits", json={"plate": "1234567"}, headers=holder.headers
    )

    assert (again.status_code, again.json()["error"]) == (409, "permit_active")
    assert session.scalar(select(func.count(Permit.id))) == 1


@pytest.mark.parametrize("plate", ["123456", "123456789", "12-345-6a", "", "٠١٢٣٤٥٦"])
def test_a_bad_plate_is_refused_and_nothing_is_written(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, plate: str
) -> None:
    applicant = person(session, settings, app)
    decisions = session.scalar(select(func.count()).select_from(Decision))

    response = client.post(
        "/api/v1/parking/permits", json={"plate": plate}, headers=applicant.headers
    )

    assert (response.status_code, response.json()["error"]) == (422, "invalid_plate")
    assert session.scalar(select(func.count(Permit.id))) == 0
    assert session.scalar(select(func.count()).select_from(Decision)) == decisions


def test_another_residents_permit_and_its_pass_are_not_found(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    _holder, permit = permit_holder(client, session, settings, app)
    stranger = person(session, settings, app, house_number=40)

    for path in ("", "/pass.png", "/pass.svg", "/pass.pdf"):
        response = client.get(
            f"/api/v1/parking/permits/{permit['id']}{path}", headers=stranger.headers
        )
        assert (response.status_code, response.json()["error"]) == (404, "permit_not_found")
    cancel = client.post(f"/api/v1/parking/permits/{permit['id']}/cancel", headers=stranger.headers)
    assert (cancel.status_code, cancel.json()["error"]) == (404, "permit_not_found")
    assert client.get("/api/v1/parking/permits/me", headers=stranger.headers).json() == []
    unknown = client.get(f"/api/v1/parking/permits/{uuid.uuid4()}", headers=stranger.headers)
    assert unknown.status_code == 404


def test_the_pass_prints_as_a_qr_a_phone_reads_and_a_windscreen_page(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    base = f"/api/v1/parking/permits/{permit['id']}"

    png = client.get(f"{base}/pass.png", headers=holder.headers)
    svg = client.get(f"{base}/pass.svg", headers=holder.headers)
    pdf = client.get(f"{base}/pass.pdf", headers=holder.headers)

    assert png.headers["content-type"] == "image/png"
    assert decode_qr_png(png.content) == permit["pass_token"]
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # One page, A6 landscape (148 × 105 mm) in points.
    assert len(re.findall(rb"/Type\s*/Page\b", pdf.content)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.content)
    assert box is not None
    width, height = float(box[1]), float(box[2])
    assert abs(width - 148 / 25.4 * 72) < 1.5
    assert abs(height - 105 / 25.4 * 72) < 1.5
    assert pdf.headers["cache-control"] == "no-store"


def test_the_printed_page_carries_a_qr_that_reads(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    from parking.service import passes, zones

    holder, permit = permit_holder(client, session, settings, app)
    parking_pass = session.scalar(select(ParkingPass))
    zone = zones.zone_by_code(session, "hadar_west")
    assert parking_pass is not None
    assert zone is not None

    page = passes.pass_page(parking_pass, zone, settings=settings)

    assert page.size == (round(148 / 25.4 * 300), round(105 / 25.4 * 300))
    assert read_qr_codes(page) == [permit["pass_token"]]
    pdf = passes.pass_pdf(parking_pass, zone, settings=settings)
    assert holder.resident.first_name.encode() not in pdf
    assert holder.resident.last_name.encode() not in pdf


def test_cancelling_revokes_the_pass(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    holder, permit = permit_holder(client, session, settings, app)

    cancelled = client.post(
        f"/api/v1/parking/permits/{permit['id']}/cancel", headers=holder.headers
    )
    again = client.post(f"/api/v1/parking/permits/{permit['id']}/cancel", headers=holder.headers)
    pdf = client.get(f"/api/v1/parking/permits/{permit['id']}/pass.pdf", headers=holder.headers)

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["end_reason"]) == (
        "cancelled",
        "cancelled",
    )
    assert cancelled.json()["pass_token"] is None
    assert (again.status_code, again.json()["error"]) == (409, "permit_not_active")
    assert (pdf.status_code, pdf.json()["error"]) == (409, "permit_not_active")
    revoked = client.get("/api/v1/parking/revocations").json()["revoked"]
    assert [r["pass_id"] for r in revoked] == [permit["pass_id"]]
    # The token still verifies as a signature; it is the revocation list that refuses it.
    assert verify_credential(
        permit["pass_token"],
        jwks_from(client),
        audience=settings.parking_pass_audience,
        now=clock.now(),
    )


def test_moving_ends_the_permit_and_offers_one_for_the_new_zone(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    # The registry (or a clerk) records the new address: Moriah 50, in the Carmel zone.
    moriah = street_by_code(session, "moriah")
    assert moriah is not None
    holder.resident.street_id = moriah.id
    holder.resident.house_number = 50
    session.flush()

    moved = client.post("/api/v1/parking/me/moved", headers=holder.headers)

    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["zone"] == "carmel"
    assert [(p["id"], p["status"], p["end_reason"]) for p in body["ended"]] == [
        (permit["id"], "ended", "moved")
    ]
    assert body["offer"] == {
        "zone": "carmel",
        "zone_name": "Carmel Centre",
        "plates": ["12-345-67"],
    }
    revoked = client.get("/api/v1/parking/revocations").json()["revoked"]
    assert [r["pass_id"] for r in revoked] == [permit["pass_id"]]
    clock.advance(minutes=5)
    new = apply(client, holder, "1234567")
    assert (new["status"], new["zone"]) == ("active", "carmel")
    me = client.get("/api/v1/parking/me", headers=holder.headers).json()
    assert me["zone"] == "carmel"
    assert me["offer"] is None
    assert [p["status"] for p in me["permits"]] == ["active", "ended"]
    # Saying it again changes nothing.
    assert client.post("/api/v1/parking/me/moved", headers=holder.headers).json()["ended"] == []


def test_applying_after_a_move_ends_the_old_zones_permit_first(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    register(client, holder, "7654321")
    holder.resident.house_number = 70  # Herzl 70: Hadar East
    session.flush()

    second = apply(client, holder, "7654321")

    assert (second["status"], second["zone"]) == ("active", "hadar_east")
    first = client.get(f"/api/v1/parking/permits/{permit['id']}", headers=holder.headers).json()
    assert (first["status"], first["end_reason"]) == ("ended", "moved")


def test_a_resident_no_longer_verified_loses_the_permit_on_the_nightly_reconcile(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    from parking.service import permits

    holder, permit = permit_holder(client, session, settings, app)
    stays, kept = permit_holder(client, session, settings, app, plate="7654321", house_number=3)
    holder.resident.status = "moved_out"
    session.flush()

    assert permits.reconcile_everyone(session, now=clock.now()) == 1

    ended = client.get(f"/api/v1/parking/permits/{permit['id']}", headers=holder.headers).json()
    assert (ended["status"], ended["end_reason"]) == ("ended", "residency")
    assert (
        client.get(f"/api/v1/parking/permits/{kept['id']}", headers=stays.headers).json()["status"]
        == "active"
    )


def test_a_user_without_a_resident_record_is_told_so(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    from resident_card.accounts.models import Role
    from tests.factories import auth_headers, create_user

    headers = auth_headers(app, create_user(session, settings, role=Role.resident))

    response = client.get("/api/v1/parking/permits/me", headers=headers)

    assert (response.status_code, response.json()["error"]) == (404, "no_resident_record")
    assert client.get("/api/v1/parking/permits/me").status_code == 401
