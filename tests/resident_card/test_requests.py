"""``GET /requests/me``: a person's requests with their timelines. Enrolment here; permits and
business applications in their domains' tests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.residents.models import Resident
from tests.factories import auth_headers, create_resident, create_user, israeli_id
from tests.resident_card.residents_support import STRONG_PASSWORD, enrolment_body, with_city

REQUESTS = "/api/v1/requests/me"


def _enrol(client: TestClient, **overrides: Any) -> tuple[str, dict[str, str]]:
    body = enrolment_body(**overrides)
    enrolled = client.post("/api/v1/residents", json=body)
    assert enrolled.status_code == 201, enrolled.text
    token = client.post(
        "/api/v1/auth/token", data={"username": body["username"], "password": STRONG_PASSWORD}
    )
    assert token.status_code == 200, token.text
    return enrolled.json()["id"], {"Authorization": f"Bearer {token.json()['access_token']}"}


def _decide(
    client: TestClient, app: FastAPI, admin: User, resident_id: str, status: str, reason: str
) -> None:
    response = client.post(
        f"/api/v1/admin/residents/{resident_id}/status",
        json={"status": status, "reason": reason},
        headers=auth_headers(app, admin),
    )
    assert response.status_code == 200, response.text


def _mine(client: TestClient, headers: dict[str, str], language: str = "en") -> list[Any]:
    response = client.get(REQUESTS, headers={**headers, "Accept-Language": language})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: list[Any] = response.json()
    return body


def _steps(request: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(step["status"], step["note"]) for step in request["timeline"]]


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.admin)


def test_a_new_resident_sees_their_enrolment_waiting_for_a_clerk(
    client: TestClient, session: Session, clock: SetClock
) -> None:
    with_city(session)
    resident_id, headers = _enrol(client)

    [request] = _mine(client, headers)

    assert set(request) == {
        "id",
        "kind",
        "status",
        "status_text",
        "created_at",
        "updated_at",
        "timeline",
    }
    assert (request["id"], request["kind"], request["status"]) == (
        resident_id,
        "enrolment",
        "waiting",
    )
    assert request["status_text"] == "Waiting for a city clerk to verify residency"
    assert _steps(request) == [("submitted", None), ("waiting", None)]
    assert [set(step) for step in request["timeline"]] == [
        {"status", "status_text", "at", "note"}
    ] * 2
    assert request["created_at"] == request["updated_at"] == request["timeline"][0]["at"]


def test_verified_after_waiting_with_the_clerks_reason(
    client: TestClient, app: FastAPI, session: Session, clock: SetClock, admin: User
) -> None:
    with_city(session)
    resident_id, headers = _enrol(client)
    clock.advance(hours=3)
    _decide(client, app, admin, resident_id, "verified", "lease checked at the desk")

    [request] = _mine(client, headers)

    assert request["status"] == "verified"
    assert request["status_text"] == "Residency verified"
    assert _steps(request) == [
        ("submitted", None),
        ("waiting", None),
        ("verified", "lease checked at the desk"),
    ]
    assert request["updated_at"] > request["created_at"]
    assert request["updated_at"] == request["timeline"][-1]["at"]


def test_refused_with_the_clerks_reason_as_note(
    client: TestClient, app: FastAPI, session: Session, admin: User
) -> None:
    with_city(session)
    resident_id, headers = _enrol(client)
    _decide(client, app, admin, resident_id, "rejected", "the address is not a home")

    [request] = _mine(client, headers)

    assert request["status"] == "refused"
    assert request["timeline"][-1] == {
        "status": "refused",
        "status_text": "Refused",
        "at": request["updated_at"],
        "note": "the address is not a home",
    }


def test_later_residency_changes_follow_the_enrolment(
    client: TestClient, app: FastAPI, session: Session, clock: SetClock, admin: User
) -> None:
    with_city(session)
    resident_id, headers = _enrol(client)
    for status, reason in (
        ("verified", "checked"),
        ("suspended", "mail returned"),
        ("verified", "new lease shown"),
    ):
        clock.advance(minutes=5)
        _decide(client, app, admin, resident_id, status, reason)

    [request] = _mine(client, headers)

    assert _steps(request)[2:] == [
        ("verified", "checked"),
        ("suspended", "mail returned"),
        ("reinstated", "new lease shown"),
    ]


@pytest.mark.parametrize(
    ("language", "waiting", "submitted"),
    [
        ("he", "ממתינה לאימות התושבות בידי פקיד העירייה", "בקשת ההרשמה התקבלה"),
        ("ar", "بانتظار تحقق موظف البلدية من الإقامة", "تم استلام طلب التسجيل"),
        ("en", "Waiting for a city clerk to verify residency", "Enrolment received"),
    ],
)
def test_status_texts_in_the_language_asked_for(
    client: TestClient, session: Session, language: str, waiting: str, submitted: str
) -> None:
    with_city(session)
    _, headers = _enrol(client)

    [request] = _mine(client, headers, language)

    assert request["status_text"] == waiting
    assert [step["status_text"] for step in request["timeline"]] == [submitted, waiting]


def test_without_accept_language_the_accounts_language(
    client: TestClient, session: Session
) -> None:
    with_city(session)
    _, headers = _enrol(client, preferred_language="ar")

    # The suite's client names English unless told; an empty header names no language.
    [request] = client.get(REQUESTS, headers={**headers, "Accept-Language": ""}).json()

    assert request["status_text"] == "بانتظار تحقق موظف البلدية من الإقامة"


def test_a_guardian_sees_their_wards_enrolment_and_nobody_elses(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    with_city(session)
    parent_id, headers = _enrol(client)
    clock.advance(minutes=10)
    ward = client.post(
        "/api/v1/residents/me/wards",
        json={
            "first_name": "Noam",
            "last_name": "Levi",
            "date_of_birth": "2016-02-03",
            "relation": "child",
            "identifier": {"kind": "israeli_id", "value": israeli_id(1_001)},
        },
        headers=headers,
    )
    assert ward.status_code == 201, ward.text
    stranger = create_resident(session, settings, user=True, first_name="Other")
    stranger_user = session.get(User, stranger.user_id)
    assert stranger_user is not None

    mine = _mine(client, headers)

    # Newest first: the ward's enrolment was made after the parent's.
    assert [(r["id"], r["kind"]) for r in mine] == [
        (ward.json()["id"], "enrolment"),
        (parent_id, "enrolment"),
    ]
    assert _steps(mine[0]) == [("submitted", "For Noam"), ("waiting", None)]
    assert str(stranger.id) not in {r["id"] for r in mine}
    # The stranger sees their own record only, never the family's.
    theirs = _mine(client, auth_headers(app, stranger_user))
    assert [r["id"] for r in theirs] == [str(stranger.id)]
    assert _steps(theirs[0]) == [("verified", "On record in the city's population registry")]


def test_a_ward_come_of_age_is_no_longer_answered_for(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    parent = create_resident(session, settings, user=True)
    grown = create_resident(session, settings, date_of_birth=parent.date_of_birth)
    _link(session, parent, grown)
    parent_user = session.get(User, parent.user_id)
    assert parent_user is not None

    assert [r["id"] for r in _mine(client, auth_headers(app, parent_user))] == [str(parent.id)]


def _link(session: Session, guardian: Resident, ward: Resident) -> None:
    from resident_card.residents.models import Guardianship

    session.add(Guardianship(guardian_id=guardian.id, ward_id=ward.id, relation="child"))
    session.flush()


def test_an_account_with_no_requests_gets_an_empty_list(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    for role in (Role.merchant, Role.inspector, Role.admin):
        user = create_user(session, settings, role=role)
        assert _mine(client, auth_headers(app, user)) == []


def test_nobody_signed_in_is_refused(client: TestClient) -> None:
    response = client.get(REQUESTS)
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
