"""Permits among a resident's requests (``GET /requests/me``): applied, granted or refused with the
reasons, revoked with why, expired; newest first among the resident's other requests."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from parking.models import ParkingPass
from parking.service.permits import reissue_passes
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from tests.parking.conftest import apply, permit_holder, person, register
from toshav.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("parking_ready")

REQUESTS = "/api/v1/requests/me"


def _mine(client: TestClient, headers: dict[str, str], language: str = "en") -> list[Any]:
    response = client.get(REQUESTS, headers={**headers, "Accept-Language": language})
    assert response.status_code == 200, response.text
    body: list[Any] = response.json()
    return body


def _permits(requests: list[Any]) -> list[Any]:
    return [r for r in requests if r["kind"] == "permit"]


def test_a_granted_permit_then_revoked_when_its_vehicle_is_removed(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    [granted] = _permits(_mine(client, holder.headers))
    assert (granted["id"], granted["status"], granted["status_text"]) == (
        permit["id"],
        "granted",
        "Permit granted",
    )
    assert [s["status"] for s in granted["timeline"]] == ["applied", "granted"]
    assert granted["timeline"][0]["note"] == "Vehicle \u206612-345-67\u2069 · Hadar West"

    clock.advance(days=3)
    vehicle = client.get("/api/v1/parking/vehicles/me", headers=holder.headers).json()[0]
    removed = client.delete(f"/api/v1/parking/vehicles/{vehicle['id']}", headers=holder.headers)
    assert removed.status_code in (200, 204), removed.text

    requests = _mine(client, holder.headers)
    [revoked] = _permits(requests)
    assert revoked["status"] == "revoked"
    assert revoked["timeline"][-1] == {
        "status": "revoked",
        "status_text": "Permit revoked",
        "at": revoked["updated_at"],
        "note": "The vehicle was removed from the household",
    }
    assert revoked["updated_at"] > revoked["created_at"]
    # Newest first: the permit was applied for after the resident's enrolment.
    assert [r["kind"] for r in requests] == ["permit", "enrolment"]


@pytest.mark.parametrize(
    ("language", "granted", "revoked", "because"),
    [
        ("he", "התו אושר", "התו בוטל", "הרכב הוסר ממשק הבית"),
        ("ar", "تمت الموافقة على التصريح", "أُلغي التصريح", "أُزيلت المركبة من الأسرة"),
        ("en", "Permit granted", "Permit revoked", "The vehicle was removed from the household"),
    ],
)
def test_a_permits_steps_in_each_language(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    language: str,
    granted: str,
    revoked: str,
    because: str,
) -> None:
    holder, _permit = permit_holder(client, session, settings, app)
    vehicle = client.get("/api/v1/parking/vehicles/me", headers=holder.headers).json()[0]
    client.delete(f"/api/v1/parking/vehicles/{vehicle['id']}", headers=holder.headers)

    [request] = _permits(_mine(client, holder.headers, language))

    assert request["status_text"] == revoked
    assert [s["status_text"] for s in request["timeline"]][1:] == [granted, revoked]
    assert request["timeline"][-1]["note"] == because


def test_a_refused_permit_carries_the_conditions_it_failed(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    applicant = person(session, settings, app, status="pending")
    register(client, applicant, "7654321")
    refused = apply(client, applicant, "76-543-21")
    failed = [
        r["text"]
        for r in refused["reasons"]
        if r["kind"] not in ("all", "any", "not") and r["outcome"] != "pass"
    ]
    assert failed

    [request] = _permits(_mine(client, applicant.headers))

    assert request["status"] == "refused"
    assert [s["status"] for s in request["timeline"]] == ["applied", "refused"]
    # The failed conditions' sentences, one after another.
    assert request["timeline"][-1]["note"] == " ".join(failed)


def test_a_permit_expires_once_its_year_is_over(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    [before] = _permits(_mine(client, holder.headers))
    assert before["status"] == "granted"  # the expiry ahead is not a step yet

    clock.advance(days=400)
    [after] = _permits(_mine(client, holder.headers))

    assert after["status"] == "expired"
    assert after["updated_at"][:10] == permit["valid_until"][:10]


def test_a_cancelled_permit_and_another_residents_permits_unseen(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    neighbour, theirs = permit_holder(client, session, settings, app, plate="76-543-21")
    cancelled = client.post(
        f"/api/v1/parking/permits/{permit['id']}/cancel", headers=holder.headers
    )
    assert cancelled.status_code == 200, cancelled.text

    mine = _permits(_mine(client, holder.headers))

    assert [(r["id"], r["status"]) for r in mine] == [(permit["id"], "cancelled")]
    assert [r["id"] for r in _permits(_mine(client, neighbour.headers))] == [theirs["id"]]


def test_a_pass_signed_afresh_is_a_step_of_its_permit(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    holder, permit = permit_holder(client, session, settings, app)
    old = session.scalars(
        select(ParkingPass).where(ParkingPass.permit_id == uuid.UUID(permit["id"]))
    ).one()
    clock.advance(days=1)
    credentials.rotate_key(session, settings, now=clock.now(), activate_in=timedelta(0))
    clock.advance(minutes=1)
    reissued = reissue_passes(session, settings, Keyring(settings), kid=old.kid, now=clock.now())
    assert reissued == 1

    [request] = _permits(_mine(client, holder.headers))

    assert [s["status"] for s in request["timeline"]] == ["applied", "granted", "reissued"]
    assert request["status"] == "reissued"
    assert (
        request["timeline"][-1]["note"] == "The pass was signed afresh: show or print the new one"
    )


def test_an_appeal_against_a_refused_permit_is_listed_first(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> None:
    applicant = person(session, settings, app, status="pending")
    register(client, applicant, "7654321")
    refused = apply(client, applicant, "76-543-21")
    clock.advance(hours=1)
    appealed = client.post(
        "/api/v1/appeals",
        json={"decision_id": refused["decision_id"], "message": "I live here, see my lease"},
        headers=applicant.headers,
    )
    assert appealed.status_code == 201, appealed.text

    requests = _mine(client, applicant.headers)

    assert [(r["kind"], r["status"]) for r in requests] == [
        ("appeal", "submitted"),
        ("permit", "refused"),
        ("enrolment", "waiting"),
    ]
    assert requests[0]["id"] == appealed.json()["id"]
