"""A clerk's change of address: the resident and the minors in their care move household, and
what follows from it (benefits re-evaluated, permits of another zone ended) happens at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from resident_card.residents.models import Resident
from tests.factories import auth_headers, create_user, israeli_id
from tests.parking.conftest import (  # noqa: F401 (parking_ready: a fixture)
    Person,
    apply,
    parking_ready,
    permit_holder,
    person,
    register,
)

pytestmark = pytest.mark.usefixtures("parking_ready")

PERMIT = "resident_parking_permit"


def address_path(resident: Resident) -> str:
    return f"/api/v1/admin/residents/{resident.id}/address"


@pytest.fixture
def clerk(session: Session, settings: Settings, app: FastAPI) -> dict[str, str]:
    return auth_headers(app, create_user(session, settings, role=Role.admin))


def move(
    client: TestClient, clerk: dict[str, str], resident: Resident, **body: Any
) -> dict[str, Any]:
    response = client.post(
        address_path(resident), json={"reason": "registry notice", **body}, headers=clerk
    )
    assert response.status_code == 200, response.text
    moved: dict[str, Any] = response.json()
    return moved


def permit_benefit(client: TestClient, who: Person) -> dict[str, Any]:
    response = client.get("/api/v1/benefits/me", headers={**who.headers, "Accept-Language": "en"})
    assert response.status_code == 200, response.text
    found = [b for b in response.json()["benefits"] if b["programme"]["code"] == PERMIT]
    assert len(found) == 1, response.json()
    benefit: dict[str, Any] = found[0]
    return benefit


def household_permits(benefit: dict[str, Any]) -> str:
    outcome = next(
        r["outcome"] for r in benefit["reasons"] if r["fact"] == "household_parking_permits"
    )
    return str(outcome)


def test_the_resident_and_their_ward_join_the_household_at_the_new_address(
    client: TestClient,
    session: Session,
    settings: Settings,
    app: FastAPI,
    clerk: dict[str, str],
    notices_posted: list[Notice],
) -> None:
    dana = person(session, settings, app, house_number=15, apartment="2")
    partner = person(session, settings, app, house_number=15, apartment="2")
    ward = client.post(
        "/api/v1/residents/me/wards",
        json={
            "first_name": "Noam",
            "last_name": "Levi",
            "date_of_birth": "2016-02-03",
            "relation": "child",
            "identifier": {"kind": "israeli_id", "value": israeli_id(4_242)},
        },
        headers=dana.headers,
    )
    assert ward.status_code == 201, ward.text
    old_household = dana.resident.household_id

    body = move(client, clerk, dana.resident, street_code="herzl", house_number=30)

    assert body["address"]["street_code"] == "herzl"
    assert (body["address"]["house_number"], body["address"]["apartment"]) == (30, None)
    assert body["household"]["size"] == 2
    noam = session.get(Resident, uuid.UUID(ward.json()["id"]))
    assert noam is not None
    session.refresh(noam)
    session.refresh(dana.resident)
    session.refresh(partner.resident)
    assert noam.household_id == dana.resident.household_id != old_household
    assert (noam.house_number, noam.apartment) == (30, None)
    assert partner.resident.household_id == old_household
    me = client.get("/api/v1/residents/me", headers=partner.headers).json()
    assert me["household"]["size"] == 1
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resident.address")
    ).all()
    assert {str(e.subject_id) for e in entries} == {str(dana.resident.id), str(noam.id)}
    assert {e.reason for e in entries} == {"registry notice"}
    told = [n for n in notices_posted if n.category == Category.residency]
    assert dana.user.id in {n.account_id for n in told}


def test_both_households_are_re_evaluated_at_once(
    client: TestClient, session: Session, settings: Settings, app: FastAPI, clerk: dict[str, str]
) -> None:
    # Dana holds two permits at Herzl 15; her partner's car cannot have a third.
    dana, _ = permit_holder(client, session, settings, app, plate="11-111-11")
    register(client, dana, "22-222-22")
    assert apply(client, dana, "22-222-22")["status"] == "active"
    partner = person(session, settings, app)
    register(client, partner, "33-333-33")
    # At Herzl 40 (the same parking zone), a neighbour with a car of their own.
    neighbour = person(session, settings, app, house_number=40)
    register(client, neighbour, "44-444-44")
    assert household_permits(permit_benefit(client, partner)) == "fail"
    assert permit_benefit(client, neighbour)["eligible"] is True

    move(client, clerk, dana.resident, street_code="herzl", house_number=40)

    # Her permits stay (same zone) and count now in the household she joined.
    assert permit_benefit(client, partner)["eligible"] is True
    assert household_permits(permit_benefit(client, neighbour)) == "fail"
    mine = client.get("/api/v1/parking/me", headers=dana.headers).json()
    assert [p["status"] for p in mine["permits"]] == ["active", "active"]


def test_a_permit_of_a_zone_the_new_address_is_not_in_is_revoked_at_once(
    client: TestClient, session: Session, settings: Settings, app: FastAPI, clerk: dict[str, str]
) -> None:
    dana, permit = permit_holder(client, session, settings, app)

    move(client, clerk, dana.resident, street_code="moriah", house_number=50, apartment="4")

    found = client.get(f"/api/v1/parking/permits/{permit['id']}", headers=dana.headers).json()
    assert (found["status"], found["end_reason"]) == ("ended", "moved")
    revoked = client.get("/api/v1/parking/revocations").json()["revoked"]
    assert permit["pass_id"] in [r["pass_id"] for r in revoked]
    assert client.get("/api/v1/parking/me", headers=dana.headers).json()["zone"] == "carmel"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"street_code": "nowhere", "house_number": 5}, 422, "unknown_street"),
        ({"street_code": "herzl", "house_number": 500}, 422, "address_outside_city"),
        ({"street_code": "herzl", "house_number": 0}, 422, None),
        ({"street_code": "herzl", "house_number": 15}, 409, "same_address"),
        ({"street_code": "herzl", "house_number": 30, "reason": "  "}, 422, None),
        ({"street_code": "herzl", "house_number": 30, "reason": None}, 422, None),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    body: dict[str, Any],
    status: int,
    code: str | None,
    client: TestClient,
    session: Session,
    settings: Settings,
    app: FastAPI,
    clerk: dict[str, str],
) -> None:
    dana, permit = permit_holder(client, session, settings, app)
    before = (dana.resident.street_id, dana.resident.house_number, dana.resident.household_id)
    sent = {"reason": "registry notice", **body}
    if sent["reason"] is None:
        del sent["reason"]

    response = client.post(address_path(dana.resident), json=sent, headers=clerk)

    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"] == code
    session.refresh(dana.resident)
    after = (dana.resident.street_id, dana.resident.house_number, dana.resident.household_id)
    assert after == before
    found = client.get(f"/api/v1/parking/permits/{permit['id']}", headers=dana.headers).json()
    assert found["status"] == "active"


def test_unknown_or_departed_residents_are_refused(
    client: TestClient, session: Session, settings: Settings, app: FastAPI, clerk: dict[str, str]
) -> None:
    gone = person(session, settings, app, status="moved_out")
    body = {"street_code": "herzl", "house_number": 30, "reason": "registry notice"}

    refused = client.post(address_path(gone.resident), json=body, headers=clerk)
    unknown = client.post(
        "/api/v1/admin/residents/00000000-0000-0000-0000-000000000000/address",
        json=body,
        headers=clerk,
    )

    assert (refused.status_code, refused.json()["error"]) == (409, "resident_not_movable")
    assert unknown.status_code == 404


@pytest.mark.parametrize("role", [Role.resident, Role.auditor])
def test_only_a_clerk_may_change_an_address(
    role: Role, client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    dana = person(session, settings, app)
    headers = (
        dana.headers
        if role == Role.resident
        else auth_headers(app, create_user(session, settings, role=role))
    )

    response = client.post(
        address_path(dana.resident),
        json={"street_code": "herzl", "house_number": 30, "reason": "I moved"},
        headers=headers,
    )

    assert response.status_code == 403, response.text
    session.refresh(dana.resident)
    assert dana.resident.house_number == 15
