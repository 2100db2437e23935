"""Households: an adult adds children and foster children, and acts for them; nobody else sees them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import User
from resident_card.city.models import Street
from resident_card.residents.models import Resident
from resident_card.residents.service import records
from tests.factories import auth_headers, create_resident, create_street, create_user, israeli_id
from tests.resident_card.residents_support import row_counts

WARDS = "/api/v1/residents/me/wards"


def _ward_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "first_name": "Noam",
        "last_name": "Levi",
        "date_of_birth": "2016-02-03",
        "relation": "child",
        "identifier": {"kind": "israeli_id", "value": israeli_id(1_001)},
    }
    body.update(overrides)
    return body


def _user(session: Session, resident: Resident) -> User:
    user = session.get(User, resident.user_id)
    assert user is not None
    return user


@pytest.fixture
def street(session: Session) -> Street:
    return create_street(session)


@pytest.fixture
def parent(session: Session, settings: Settings, street: Street) -> Resident:
    return create_resident(
        session, settings, user=True, street=street, house_number=3, apartment="7"
    )


def test_a_parent_adds_a_child_to_the_household(
    client: TestClient, app: FastAPI, session: Session, parent: Resident
) -> None:
    headers = auth_headers(app, _user(session, parent))

    added = client.post(WARDS, json=_ward_body(), headers=headers)

    assert added.status_code == 201, added.text
    ward = added.json()
    assert ward["relation"] == "child"
    assert ward["status"] == "pending"
    assert ward["identifier"]["masked"] == "•••••• " + israeli_id(1_001)[-3:]
    listed = client.get(WARDS, headers=headers).json()
    assert [w["id"] for w in listed] == [ward["id"]]
    me = client.get("/api/v1/residents/me", headers=headers).json()
    assert me["household"]["size"] == 2
    assert [w["id"] for w in me["wards"]] == [ward["id"]]
    record = client.get(f"/api/v1/residents/{ward['id']}", headers=headers)
    assert record.status_code == 200
    assert record.json()["address"]["house_number"] == 3
    assert record.json()["address"]["apartment"] == "7"
    assert record.json()["household"]["id"] == me["household"]["id"]
    assert record.json()["status_history"][0]["reason"] == "added by guardian"


def test_a_foster_child_without_an_id_number(
    client: TestClient, app: FastAPI, session: Session, parent: Resident
) -> None:
    added = client.post(
        WARDS,
        json=_ward_body(
            relation="foster_child",
            identifier={"kind": "foster_care", "value": "FC-2025-00417"},
        ),
        headers=auth_headers(app, _user(session, parent)),
    )
    assert added.status_code == 201, added.text
    assert added.json()["relation"] == "foster_child"
    assert added.json()["identifier"] == {"kind": "foster_care", "masked": "•••••• 417"}
    wards = records.wards_of(session, parent, today=date(2026, 1, 1))
    facts = records.resident_facts(session, wards[0], date(2026, 1, 1))
    assert facts["identifier_kind"] == "foster_care"
    assert facts["is_minor"] is True
    assert facts["household_size"] == 2


def test_the_guardian_acts_for_the_ward_and_nobody_else_does(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    parent: Resident,
    street: Street,
) -> None:
    ward_id = client.post(
        WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, parent))
    ).json()["id"]
    ward = records.get_resident(session, uuid.UUID(ward_id))
    assert ward is not None
    neighbour = create_resident(
        session, settings, user=True, street=street, house_number=3, apartment="7"
    )

    today = date(2026, 6, 1)
    assert records.can_act_for(session, parent, ward.id, today=today)
    assert not records.can_act_for(session, neighbour, ward.id, today=today)
    assert not records.can_act_for(session, ward, parent.id, today=today)
    assert records.wards_of(session, parent, today=today) == [ward]
    seen_by_neighbour = client.get(
        f"/api/v1/residents/{ward_id}", headers=auth_headers(app, _user(session, neighbour))
    )
    assert seen_by_neighbour.status_code == 404
    assert client.get(WARDS, headers=auth_headers(app, _user(session, neighbour))).json() == []


def test_a_minor_cannot_add_wards(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    street: Street,
    clock: SetClock,
) -> None:
    today = records.city_today(clock.now(), settings)
    teenager = create_resident(
        session,
        settings,
        user=True,
        street=street,
        date_of_birth=today.replace(year=today.year - 17),
    )
    before = row_counts(session)

    response = client.post(
        WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, teenager))
    )

    assert response.status_code == 403
    assert response.json()["error"] == "guardian_must_be_adult"
    assert row_counts(session) == before


@pytest.mark.parametrize("status", ["suspended", "moved_out", "rejected"])
def test_an_inactive_resident_cannot_add_wards(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, status: str
) -> None:
    guardian = create_resident(session, settings, user=True, status=status)
    before = row_counts(session)
    response = client.post(
        WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, guardian))
    )
    assert response.status_code == 403
    assert response.json()["error"] == "guardian_not_active"
    assert row_counts(session) == before


BAD_WARDS: list[tuple[str, dict[str, Any], int, str]] = [
    ("an adult", {"date_of_birth": "1990-01-01"}, 422, "ward_not_minor"),
    ("not born yet", {"date_of_birth": "2999-01-01"}, 422, "date_of_birth_in_future"),
    (
        "bad check digit",
        {"identifier": {"kind": "israeli_id", "value": "123456789"}},
        422,
        "invalid_id_number",
    ),
    (
        "bad reference",
        {"identifier": {"kind": "foster_care", "value": "F1"}},
        422,
        "invalid_identifier",
    ),
    ("unknown relation", {"relation": "nephew"}, 422, "validation_error"),
    ("extra field", {"household_id": "x"}, 422, "validation_error"),
    ("no identifier", {"identifier": None}, 422, "validation_error"),
]


@pytest.mark.parametrize(
    ("change", "status", "code"), [c[1:] for c in BAD_WARDS], ids=[c[0] for c in BAD_WARDS]
)
def test_a_bad_ward_is_refused_and_writes_nothing(
    client: TestClient,
    app: FastAPI,
    session: Session,
    parent: Resident,
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    before = row_counts(session)
    response = client.post(
        WARDS, json=_ward_body(**change), headers=auth_headers(app, _user(session, parent))
    )
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert row_counts(session) == before


def test_a_stranger_s_identifier_is_taken(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, parent: Resident
) -> None:
    number = israeli_id(1_002)
    create_resident(session, settings, identifier=number, date_of_birth=date(2016, 2, 3))
    before = row_counts(session)
    response = client.post(
        WARDS,
        json=_ward_body(identifier={"kind": "israeli_id", "value": number}),
        headers=auth_headers(app, _user(session, parent)),
    )
    assert response.status_code == 409
    assert response.json()["error"] == "identifier_taken"
    assert row_counts(session) == before


def test_two_guardians_of_one_household_share_a_ward(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    parent: Resident,
    street: Street,
) -> None:
    other_parent = create_resident(
        session, settings, user=True, street=street, house_number=3, apartment="7"
    )
    first = client.post(WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, parent)))
    assert first.status_code == 201
    residents_before = row_counts(session)["residents"]

    second = client.post(
        WARDS,
        json=_ward_body(relation="child"),
        headers=auth_headers(app, _user(session, other_parent)),
    )
    again = client.post(WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, parent)))

    assert second.status_code == 201, second.text
    assert second.json()["id"] == first.json()["id"]
    assert row_counts(session)["residents"] == residents_before
    assert again.status_code == 409
    assert again.json()["error"] == "already_a_ward"
    read = client.get(
        f"/api/v1/residents/{first.json()['id']}",
        headers=auth_headers(app, _user(session, other_parent)),
    )
    assert read.status_code == 200


def test_a_guardian_of_another_household_cannot_take_a_ward(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, parent: Resident
) -> None:
    elsewhere = create_resident(session, settings, user=True)
    assert (
        client.post(
            WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, parent))
        ).status_code
        == 201
    )
    response = client.post(
        WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, elsewhere))
    )
    assert response.status_code == 409
    assert response.json()["error"] == "identifier_taken"


def test_the_same_child_with_another_birth_date_is_not_linked(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    parent: Resident,
    street: Street,
) -> None:
    other_parent = create_resident(
        session, settings, user=True, street=street, house_number=3, apartment="7"
    )
    assert (
        client.post(
            WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, parent))
        ).status_code
        == 201
    )
    response = client.post(
        WARDS,
        json=_ward_body(date_of_birth="2016-02-04"),
        headers=auth_headers(app, _user(session, other_parent)),
    )
    assert response.status_code == 409
    assert response.json()["error"] == "identifier_taken"


def test_a_registry_child_is_linked_to_the_parent_who_adds_them(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    parent: Resident,
    street: Street,
) -> None:
    number = israeli_id(1_003)
    child = create_resident(
        session,
        settings,
        street=street,
        house_number=3,
        apartment="7",
        identifier=number,
        date_of_birth=date(2014, 5, 5),
    )
    response = client.post(
        WARDS,
        json=_ward_body(
            date_of_birth="2014-05-05", identifier={"kind": "israeli_id", "value": number}
        ),
        headers=auth_headers(app, _user(session, parent)),
    )
    assert response.status_code == 201
    assert response.json()["id"] == str(child.id)
    assert response.json()["status"] == "verified"  # the registry's record keeps its status


def test_no_resident_record_no_wards(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings)
    response = client.post(WARDS, json=_ward_body(), headers=auth_headers(app, user))
    assert response.status_code == 404
    assert response.json()["error"] == "resident_not_found"
    assert client.post(WARDS, json=_ward_body()).status_code == 401


def test_a_ward_who_comes_of_age_acts_alone_from_their_18th_birthday_in_the_city(
    client: TestClient, app: FastAPI, session: Session, parent: Resident, clock: SetClock
) -> None:
    ward_id = client.post(
        WARDS, json=_ward_body(), headers=auth_headers(app, _user(session, parent))
    ).json()["id"]

    # Born 3 February 2016: on the evening of 2 February 2034 in Haifa (UTC+2) still a minor.
    clock.at = datetime(2034, 2, 2, 21, 30, tzinfo=UTC)
    headers = auth_headers(app, _user(session, parent))
    assert client.get(f"/api/v1/residents/{ward_id}", headers=headers).status_code == 200
    assert [w["id"] for w in client.get(WARDS, headers=headers).json()] == [ward_id]
    me = client.get("/api/v1/residents/me", headers=headers).json()
    assert [w["id"] for w in me["wards"]] == [ward_id]

    # Half past midnight on 3 February in the city (still the 2nd in UTC): an adult now.
    clock.at = datetime(2034, 2, 2, 22, 30, tzinfo=UTC)
    headers = auth_headers(app, _user(session, parent))
    seen = client.get(f"/api/v1/residents/{ward_id}", headers=headers)
    assert seen.status_code == 404
    assert seen.json()["error"] == "resident_not_found"
    assert client.get(WARDS, headers=headers).json() == []
    assert client.get("/api/v1/residents/me", headers=headers).json()["wards"] == []
    benefits = client.get("/api/v1/benefits/me", params={"resident_id": ward_id}, headers=headers)
    assert benefits.status_code == 404


@pytest.mark.parametrize(
    ("today", "cut_off"),
    [
        (date(2034, 2, 3), date(2016, 2, 3)),
        (date(2026, 3, 1), date(2008, 3, 1)),
        # 29 February 2028: someone born on 29 February 2010 never had that day; the 28th is the last
        # adult birthday, and a child born on 1 March 2010 is still 17.
        (date(2028, 2, 29), date(2010, 2, 28)),
    ],
)
def test_who_counts_as_a_minor_on_a_day(today: date, cut_off: date) -> None:
    assert records.minors_born_after(today) == cut_off
    assert records.age_on(cut_off, today) == records.ADULT_AGE
    assert records.age_on(cut_off + timedelta(days=1), today) == records.ADULT_AGE - 1
