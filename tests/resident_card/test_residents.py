"""Residents: enrolment, what a resident sees, residency status, and the facts other packages read."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.database import Base
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.audit.models import AuditEntry
from resident_card.city.models import HouseNumberRange, Neighbourhood, Street
from resident_card.residents.models import IdentityClaim, Resident
from resident_card.residents.service import records, registry_import
from tests.conftest import LiveServer
from tests.factories import auth_headers, create_resident, create_street, create_user, israeli_id
from tests.resident_card.residents_support import (
    STRONG_PASSWORD,
    enrolment_body,
    row_counts,
    with_city,
)


def test_facts_of_a_verified_adult(session: Session, settings: Settings) -> None:
    street = create_street(session)
    centre = Neighbourhood(
        code="carmel", name_he="מרכז הכרמל", name_ar="مركز الكرمل", name_en="Carmel Centre"
    )
    session.add(centre)
    session.flush()
    session.add(
        HouseNumberRange(
            street_id=street.id, from_number=1, to_number=99, neighbourhood_id=centre.id
        )
    )
    resident = create_resident(
        session,
        settings,
        street=street,
        house_number=12,
        date_of_birth=date(1990, 3, 10),
        resident_since=date(2024, 1, 31),
    )
    create_resident(session, settings, street=street, house_number=12, status="pending")
    create_resident(session, settings, street=street, house_number=12, status="moved_out")

    facts = records.resident_facts(session, resident, date(2026, 2, 28))

    assert facts == {
        "age": 35,
        "residency_status": "verified",
        "months_of_residency": 25,
        "neighbourhood": "carmel",
        "household_size": 2,
        "is_minor": False,
        "identifier_kind": "israeli_id",
        "disability": False,
    }


def test_facts_of_a_pending_minor_count_no_residency(session: Session, settings: Settings) -> None:
    resident = create_resident(
        session,
        settings,
        status="pending",
        date_of_birth=date(2010, 3, 1),
        identifier_kind="foster_care",
    )
    facts = records.resident_facts(session, resident, date(2026, 2, 28))
    assert facts["age"] == 15
    assert facts["is_minor"] is True
    assert facts["months_of_residency"] == 0
    assert facts["neighbourhood"] is None
    assert facts["identifier_kind"] == "foster_care"


def test_resident_for_user_finds_the_record(session: Session, settings: Settings) -> None:
    resident = create_resident(session, settings, user=True)
    assert resident.user_id is not None
    assert records.resident_for_user(session, resident.user_id) is resident
    other = create_resident(session, settings, user=True)
    assert other.user_id is not None
    assert records.resident_for_user(session, other.user_id) is other
    today = date(2026, 6, 1)
    assert records.can_act_for(session, resident, resident.id, today=today)
    assert not records.can_act_for(session, resident, other.id, today=today)
    assert records.wards_of(session, resident, today=today) == []


# --- enrolment ----------------------------------------------------------------------------------


def test_enrolment_makes_a_pending_resident_and_their_user(
    client: TestClient, session: Session
) -> None:
    with_city(session)
    number = israeli_id(101)

    response = client.post(
        "/api/v1/residents", json=enrolment_body(identifier={"kind": "israeli_id", "value": number})
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["identifier"] == {"kind": "israeli_id", "masked": "•••••• " + number[-3:]}
    assert body["address"]["street_code"] == "herzl"
    assert body["address"]["street"]["he"] == "הרצל"
    assert body["address"]["neighbourhood"]["code"] == "hadar"
    assert body["address"]["apartment"] == "4"
    assert body["household"]["size"] == 1
    assert body["resident_since"] is None
    assert body["wards"] == []
    assert [(c["from_status"], c["to_status"], c["reason"]) for c in body["status_history"]] == [
        (None, "pending", "enrolment")
    ]
    user = session.scalars(select(User).where(User.username == "dana.levi")).one()
    assert user.roles == ["resident"]
    assert user.preferred_language == "en"
    resident = records.resident_for_user(session, user.id)
    assert resident is not None
    assert str(resident.id) == body["id"]


def test_the_new_resident_signs_in_and_reads_their_record(
    client: TestClient, session: Session
) -> None:
    with_city(session)
    assert client.post("/api/v1/residents", json=enrolment_body()).status_code == 201

    token = client.post(
        "/api/v1/auth/token", data={"username": "dana.levi", "password": STRONG_PASSWORD}
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = client.get("/api/v1/residents/me", headers=headers)

    assert me.status_code == 200
    assert me.json()["first_name"] == "Dana"
    assert me.json()["status"] == "pending"


def test_a_sixteen_year_old_may_enrol_alone(
    client: TestClient, session: Session, clock: SetClock
) -> None:
    with_city(session)
    sixteen_today = _years_before(clock, 16)
    response = client.post(
        "/api/v1/residents", json=enrolment_body(date_of_birth=sixteen_today.isoformat())
    )
    assert response.status_code == 201, response.text


def test_a_phone_alone_is_enough_contact(client: TestClient, session: Session) -> None:
    with_city(session)
    body = enrolment_body(phone="+972 (4) 835-6789")
    del body["email"]
    response = client.post("/api/v1/residents", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["phone"] == "+97248356789"
    assert response.json()["email"] is None


def _years_before(clock: SetClock, years: int, days: int = 0) -> date:
    today = records.city_today(clock.now(), get_settings_for_tests())
    return today.replace(year=today.year - years) - timedelta(days=days)


def get_settings_for_tests() -> Settings:
    return Settings(city_time_zone="Asia/Jerusalem")


BAD_ENROLMENTS: list[tuple[str, dict[str, Any], int, str]] = [
    (
        "check digit",
        {"identifier": {"kind": "israeli_id", "value": "123456789"}},
        422,
        "invalid_id_number",
    ),
    ("unknown street", {"street_code": "no_such_street"}, 422, "unknown_street"),
    ("future birth", {"date_of_birth": "2999-01-01"}, 422, "date_of_birth_in_future"),
    ("no contact", {"email": None, "phone": None}, 422, "contact_required"),
    ("weak password", {"password": "short"}, 422, "weak_password"),
    (
        "short reference",
        {"identifier": {"kind": "passport", "value": "ab"}},
        422,
        "invalid_identifier",
    ),
    (
        "bad reference",
        {"identifier": {"kind": "passport", "value": "AB 12!"}},
        422,
        "invalid_identifier",
    ),
    (
        "unknown kind",
        {"identifier": {"kind": "licence", "value": "1234567"}},
        422,
        "validation_error",
    ),
    ("extra field", {"role": "admin"}, 422, "validation_error"),
    (
        "extra identifier field",
        {"identifier": {"kind": "israeli_id", "value": "123456782", "x": 1}},
        422,
        "validation_error",
    ),
    ("bad email", {"email": "not-an-email"}, 422, "validation_error"),
    ("bad phone", {"phone": "call me"}, 422, "validation_error"),
    ("blank name", {"first_name": "   "}, 422, "validation_error"),
    ("control character", {"last_name": "Levi\x00"}, 422, "invalid_text"),
    ("house zero", {"house_number": 0}, 422, "validation_error"),
    ("house too big", {"house_number": 10_000}, 422, "validation_error"),
    ("no such date", {"date_of_birth": "1990-02-30"}, 422, "validation_error"),
    ("odd username", {"username": "dana levi"}, 422, "validation_error"),
    ("long name", {"first_name": "x" * 101}, 422, "validation_error"),
    ("unknown language", {"preferred_language": "fr"}, 422, "validation_error"),
]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [case[1:] for case in BAD_ENROLMENTS],
    ids=[case[0] for case in BAD_ENROLMENTS],
)
def test_a_bad_enrolment_is_refused_and_writes_nothing(
    client: TestClient, session: Session, change: dict[str, Any], status: int, code: str
) -> None:
    with_city(session)
    before = row_counts(session)

    response = client.post("/api/v1/residents", json=enrolment_body(**change))

    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["detail"]
    assert row_counts(session) == before


def test_too_young_to_enrol_alone(client: TestClient, session: Session, clock: SetClock) -> None:
    with_city(session)
    before = row_counts(session)
    almost_sixteen = _years_before(clock, 16, days=-1)

    response = client.post(
        "/api/v1/residents", json=enrolment_body(date_of_birth=almost_sixteen.isoformat())
    )

    assert response.status_code == 422
    assert response.json()["error"] == "too_young_to_enrol"
    assert "16" in response.json()["detail"]
    assert row_counts(session) == before


def test_the_same_identifier_enrolled_again_claims_the_first_record(
    client: TestClient, session: Session
) -> None:
    """Answered as a new enrolment; tests/resident_card/test_identity_claims.py says the rest."""
    with_city(session)
    number = israeli_id(202)
    first = client.post(
        "/api/v1/residents", json=enrolment_body(identifier={"kind": "israeli_id", "value": number})
    )
    assert first.status_code == 201

    # The same number written without its leading zeros or with separators is the same person.
    again = client.post(
        "/api/v1/residents",
        json=enrolment_body(
            username="someone.else",
            identifier={"kind": "israeli_id", "value": number[:4] + "-" + number[4:]},
        ),
    )

    assert again.status_code == 201
    assert again.json()["status"] == "pending"
    assert again.json()["id"] != first.json()["id"]
    assert _claimed(session, again.json()["id"]) == (uuid.UUID(first.json()["id"]), "open")


def _claimed(session: Session, claimant_id: str) -> tuple[uuid.UUID, str] | None:
    claim = session.scalar(
        select(IdentityClaim).where(IdentityClaim.claimant_id == uuid.UUID(claimant_id))
    )
    return (claim.holder_id, claim.state) if claim is not None else None


def test_a_taken_username_is_refused(client: TestClient, session: Session) -> None:
    with_city(session)
    assert client.post("/api/v1/residents", json=enrolment_body()).status_code == 201
    before = row_counts(session)

    again = client.post(
        "/api/v1/residents",
        json=enrolment_body(
            username="DANA.LEVI", identifier={"kind": "israeli_id", "value": israeli_id(303)}
        ),
    )

    assert again.status_code == 409
    assert again.json()["error"] == "username_taken"
    assert row_counts(session) == before


def test_the_same_passport_number_is_one_person_whatever_its_spelling(
    client: TestClient, session: Session
) -> None:
    with_city(session)
    first = client.post(
        "/api/v1/residents",
        json=enrolment_body(identifier={"kind": "passport", "value": "ab1234567"}),
    )
    assert first.status_code == 201
    assert first.json()["identifier"] == {"kind": "passport", "masked": "•••••• 567"}
    again = client.post(
        "/api/v1/residents",
        json=enrolment_body(
            username="other", identifier={"kind": "passport", "value": "AB 1234567"}
        ),
    )
    assert again.status_code == 201
    assert _claimed(session, again.json()["id"]) == (uuid.UUID(first.json()["id"]), "open")


def test_errors_speak_the_callers_language(client: TestClient, session: Session) -> None:
    with_city(session)
    body = enrolment_body(identifier={"kind": "israeli_id", "value": "123456789"})
    hebrew = client.post("/api/v1/residents", json=body, headers={"Accept-Language": "he"})
    arabic = client.post("/api/v1/residents", json=body, headers={"Accept-Language": "ar"})
    assert hebrew.json()["detail"].startswith("מספר תעודת הזהות")
    assert arabic.json()["detail"].startswith("رقم الهوية")


# --- claiming an imported record ----------------------------------------------------------------


def _imported(session: Session, settings: Settings, clock: SetClock, number: str) -> Resident:
    outcome = registry_import.import_row(
        session,
        settings,
        {
            "identifier_kind": "israeli_id",
            "identifier": number,
            "first_name": "Dana",
            "last_name": "Levi",
            "date_of_birth": "1988-04-12",
            "street_code": "hanevim",
            "house_number": "7",
            "resident_since": "2015-03-01",
        },
        clock.now(),
    )
    assert outcome == "created"
    resident = session.scalars(select(Resident).order_by(Resident.created_at.desc())).first()
    assert resident is not None
    return resident


def test_enrolment_claims_the_registrys_record(
    client: TestClient, session: Session, settings: Settings, clock: SetClock
) -> None:
    with_city(session)
    number = israeli_id(404)
    imported = _imported(session, settings, clock, number)
    residents_before = row_counts(session)["residents"]

    response = client.post(
        "/api/v1/residents",
        json=enrolment_body(
            street_code="hanevim",
            house_number=7,
            identifier={"kind": "israeli_id", "value": number.lstrip("0")},
        ),
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] == str(imported.id)
    assert body["status"] == "verified"  # the registry vouched for this record
    assert body["resident_since"] == "2015-03-01"
    assert body["address"]["street_code"] == "hanevim"
    assert body["email"] == "dana@example.org"
    assert row_counts(session)["residents"] == residents_before
    session.refresh(imported)
    assert imported.user_id is not None


@pytest.mark.parametrize(
    "mismatch",
    [
        {"date_of_birth": "1988-04-13", "street_code": "hanevim", "house_number": 7},
        {"street_code": "herzl", "house_number": 7},
        {"street_code": "hanevim", "house_number": 8},
    ],
    ids=["date of birth", "street", "house number"],
)
def test_a_claim_that_does_not_match_the_registry_waits_for_a_clerk(
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    mismatch: dict[str, Any],
) -> None:
    with_city(session)
    number = israeli_id(505)
    imported = _imported(session, settings, clock, number)

    response = client.post(
        "/api/v1/residents",
        json=enrolment_body(identifier={"kind": "israeli_id", "value": number}, **mismatch),
    )

    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert _claimed(session, response.json()["id"]) == (imported.id, "open")
    session.refresh(imported)
    assert imported.user_id is None


def test_a_claimed_record_claimed_again_waits_for_a_clerk(
    client: TestClient, session: Session, settings: Settings, clock: SetClock
) -> None:
    with_city(session)
    number = israeli_id(606)
    _imported(session, settings, clock, number)
    body = enrolment_body(
        street_code="hanevim", house_number=7, identifier={"kind": "israeli_id", "value": number}
    )
    first = client.post("/api/v1/residents", json=body)
    assert first.status_code == 201
    again = client.post("/api/v1/residents", json={**body, "username": "dana2"})
    assert again.status_code == 201
    assert again.json()["status"] == "pending"
    assert _claimed(session, again.json()["id"]) == (uuid.UUID(first.json()["id"]), "open")


# --- who sees which record ----------------------------------------------------------------------


def test_a_resident_reads_their_own_record_by_id(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    resident = create_resident(session, settings, user=True)
    user = session.get(User, resident.user_id)
    assert user is not None
    response = client.get(f"/api/v1/residents/{resident.id}", headers=auth_headers(app, user))
    assert response.status_code == 200
    assert response.json()["id"] == str(resident.id)


def test_another_residents_record_is_not_found(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    me = create_resident(session, settings, user=True)
    neighbour = create_resident(session, settings, street=_street_of(session, me), user=True)
    user = session.get(User, me.user_id)
    assert user is not None
    headers = auth_headers(app, user)

    theirs = client.get(f"/api/v1/residents/{neighbour.id}", headers=headers)
    nobody = client.get(f"/api/v1/residents/{uuid.uuid4()}", headers=headers)

    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json() == nobody.json()
    assert theirs.json()["error"] == "resident_not_found"


@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", "1", "me2", "00000000-0000-0000-0000-00000000000g"]
)
def test_a_malformed_id_is_always_422(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, bad_id: str
) -> None:
    resident = create_resident(session, settings, user=True)
    user = session.get(User, resident.user_id)
    assert user is not None
    admin = create_user(session, settings, role=Role.admin)
    mine = client.get(f"/api/v1/residents/{bad_id}", headers=auth_headers(app, user))
    staff = client.get(f"/api/v1/admin/residents/{bad_id}", headers=auth_headers(app, admin))
    assert mine.status_code == staff.status_code == 422
    assert mine.json()["error"] == staff.json()["error"] == "validation_error"


def test_a_resident_user_without_a_record_is_told_so(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, role=Role.resident)
    response = client.get("/api/v1/residents/me", headers=auth_headers(app, user))
    assert response.status_code == 404
    assert response.json()["error"] == "resident_not_found"


def test_resident_pages_need_a_signed_in_resident(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    assert client.get("/api/v1/residents/me").status_code == 401
    merchant = create_user(session, settings, role=Role.merchant)
    response = client.get("/api/v1/residents/me", headers=auth_headers(app, merchant))
    assert response.status_code == 403


def _street_of(session: Session, resident: Resident) -> Street:
    street = session.get(Street, resident.street_id)
    assert street is not None
    return street


# --- the clerk's desk ---------------------------------------------------------------------------


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.admin)


@pytest.fixture
def auditor(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.auditor)


ALL_STATUSES = ["pending", "verified", "suspended", "moved_out", "rejected"]
ALLOWED = {
    ("pending", "verified"),
    ("pending", "rejected"),
    ("verified", "suspended"),
    ("verified", "moved_out"),
    ("suspended", "verified"),
    ("suspended", "moved_out"),
}


@pytest.mark.parametrize(("before", "after"), [(b, a) for b in ALL_STATUSES for a in ALL_STATUSES])
def test_residency_transitions(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    before: str,
    after: str,
) -> None:
    resident = create_resident(session, settings, status=before)
    audit_before = row_counts(session)["audit_log"]

    response = client.post(
        f"/api/v1/admin/residents/{resident.id}/status",
        json={"status": after, "reason": "checked the lease"},
        headers=auth_headers(app, admin),
    )

    session.refresh(resident)
    if (before, after) in ALLOWED:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == after
        assert resident.status == after
        history = response.json()["status_history"]
        assert history[-1] == {
            "from_status": before,
            "to_status": after,
            "reason": "checked the lease",
            "at": history[-1]["at"],
            "actor_id": str(admin.id),
        }
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == str(resident.id))
        ).one()
        assert (entry.action, entry.before, entry.after, entry.reason, entry.actor_id) == (
            "resident.status",
            {"status": before},
            {"status": after},
            "checked the lease",
            admin.id,
        )
    else:
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "invalid_transition"
        assert resident.status == before
        assert row_counts(session)["audit_log"] == audit_before


def test_verification_starts_the_residency_clock(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    clock: SetClock,
) -> None:
    resident = create_resident(session, settings, status="pending")
    assert records.resident_facts(session, resident, date(2030, 1, 1))["months_of_residency"] == 0

    response = client.post(
        f"/api/v1/admin/residents/{resident.id}/status",
        json={"status": "verified", "reason": "lease and arnona bill"},
        headers=auth_headers(app, admin),
    )

    assert response.status_code == 200
    session.refresh(resident)
    assert resident.verified_at == clock.now()
    today = records.city_today(clock.now(), settings)
    assert resident.resident_since == today
    later = today.replace(year=today.year + 1)
    assert records.resident_facts(session, resident, later)["months_of_residency"] == 12


@pytest.mark.parametrize(
    "body",
    [
        {"status": "verified"},
        {"status": "verified", "reason": "   "},
        {"status": "verified", "reason": "x" * 501},
        {"status": "approved", "reason": "ok"},
        {"status": "verified", "reason": "ok", "by": "me"},
    ],
)
def test_a_status_change_needs_a_known_status_and_a_reason(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    body: dict[str, Any],
) -> None:
    resident = create_resident(session, settings, status="pending")
    before = row_counts(session)
    response = client.post(
        f"/api/v1/admin/residents/{resident.id}/status", json=body, headers=auth_headers(app, admin)
    )
    assert response.status_code == 422
    assert response.json()["error"] in {"validation_error", "invalid_text"}
    assert row_counts(session) == before


def test_only_admins_change_a_status(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, auditor: User
) -> None:
    resident = create_resident(session, settings, status="pending", user=True)
    owner = session.get(User, resident.user_id)
    assert owner is not None
    body = {"status": "verified", "reason": "self-service"}
    url = f"/api/v1/admin/residents/{resident.id}/status"

    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=auth_headers(app, auditor)).status_code == 403
    assert client.post(url, json=body, headers=auth_headers(app, owner)).status_code == 403
    session.refresh(resident)
    assert resident.status == "pending"


def test_a_status_change_of_nobody_is_not_found(
    client: TestClient, app: FastAPI, admin: User
) -> None:
    response = client.post(
        f"/api/v1/admin/residents/{uuid.uuid4()}/status",
        json={"status": "verified", "reason": "x"},
        headers=auth_headers(app, admin),
    )
    assert response.status_code == 404
    assert response.json()["error"] == "resident_not_found"


def test_staff_list_and_read_residents(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    auditor: User,
) -> None:
    street = create_street(session)
    tag = uuid.uuid4().hex[:6]
    pending = [
        create_resident(
            session, settings, status="pending", street=street, last_name=f"Haddad{tag}{i}"
        )
        for i in range(3)
    ]
    create_resident(session, settings, status="verified", street=street, last_name=f"Haddad{tag}9")

    for reader in (admin, auditor):
        headers = auth_headers(app, reader)
        page = client.get(
            "/api/v1/admin/residents",
            params={"status": "pending", "q": f"haddad{tag}", "limit": 2},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        assert page.json()["total"] == 3
        assert [r["last_name"] for r in page.json()["items"]] == [f"Haddad{tag}0", f"Haddad{tag}1"]
        assert page.json()["items"][0]["identifier"]["masked"].startswith("•••••• ")
        rest = client.get(
            "/api/v1/admin/residents",
            params={"status": "pending", "q": f"haddad{tag}", "limit": 2, "offset": 2},
            headers=headers,
        )
        assert [r["id"] for r in rest.json()["items"]] == [str(pending[2].id)]

        one = client.get(f"/api/v1/admin/residents/{pending[0].id}", headers=headers)
        assert one.status_code == 200
        assert one.json()["status_history"][0]["to_status"] == "pending"
        assert one.json()["user_id"] is None

    missing = client.get(
        f"/api/v1/admin/residents/{uuid.uuid4()}", headers=auth_headers(app, admin)
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "params", [{"status": "asleep"}, {"limit": 0}, {"limit": 201}, {"offset": -1}, {"q": "x" * 101}]
)
def test_the_resident_list_refuses_bad_filters(
    client: TestClient, app: FastAPI, admin: User, params: dict[str, Any]
) -> None:
    response = client.get(
        "/api/v1/admin/residents", params=params, headers=auth_headers(app, admin)
    )
    assert response.status_code == 422


def test_residents_cannot_list_residents(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    resident = create_resident(session, settings, user=True)
    owner = session.get(User, resident.user_id)
    assert owner is not None
    response = client.get("/api/v1/admin/residents", headers=auth_headers(app, owner))
    assert response.status_code == 403


def test_an_admin_looks_a_resident_up_by_identifier(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, admin: User
) -> None:
    number = israeli_id(707)
    resident = create_resident(session, settings, identifier=number)

    response = client.post(
        "/api/v1/admin/residents/lookup",
        json={"identifier": {"kind": "israeli_id", "value": number.lstrip("0")}},
        headers=auth_headers(app, admin),
    )

    assert response.status_code == 200
    assert response.json()["id"] == str(resident.id)
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "resident.lookup", AuditEntry.subject_id == str(resident.id)
        )
    ).one()
    assert entry.actor_id == admin.id
    assert number not in str(entry.after)


def test_a_lookup_that_finds_nobody_or_is_malformed(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    auditor: User,
) -> None:
    url = "/api/v1/admin/residents/lookup"
    headers = auth_headers(app, admin)
    nobody = client.post(
        url, json={"identifier": {"kind": "israeli_id", "value": israeli_id(808)}}, headers=headers
    )
    assert nobody.status_code == 404
    assert nobody.json()["error"] == "resident_not_found"
    wrong = client.post(
        url, json={"identifier": {"kind": "israeli_id", "value": "123456789"}}, headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"] == "invalid_id_number"
    auditor_asks = client.post(
        url,
        json={"identifier": {"kind": "israeli_id", "value": israeli_id(808)}},
        headers=auth_headers(app, auditor),
    )
    assert auditor_asks.status_code == 403


def test_an_admin_sets_the_disability_flag(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    auditor: User,
) -> None:
    resident = create_resident(session, settings)
    url = f"/api/v1/admin/residents/{resident.id}/disability"
    body = {"disability": True, "reason": "disability certificate seen"}

    assert client.put(url, json=body, headers=auth_headers(app, auditor)).status_code == 403
    response = client.put(url, json=body, headers=auth_headers(app, admin))

    assert response.status_code == 200
    assert response.json()["disability"] is True
    session.refresh(resident)
    assert records.resident_facts(session, resident, date(2030, 1, 1))["disability"] is True
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resident.disability")
    ).one()
    assert (entry.before, entry.after) == ({"disability": False}, {"disability": True})


# --- the identifier is never kept or logged in clear --------------------------------------------


def test_the_clear_id_number_is_nowhere_in_the_database_or_the_log(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with_city(session)
    number = israeli_id(909)
    child_number = israeli_id(910)
    rejected_number = "123456789"

    enrolled = client.post(
        "/api/v1/residents", json=enrolment_body(identifier={"kind": "israeli_id", "value": number})
    )
    assert enrolled.status_code == 201
    refused = client.post(
        "/api/v1/residents",
        json=enrolment_body(
            username="x.y", identifier={"kind": "israeli_id", "value": rejected_number}
        ),
    )
    assert refused.status_code == 422
    user = session.scalars(select(User).where(User.username == "dana.levi")).one()
    ward = client.post(
        "/api/v1/residents/me/wards",
        json={
            "first_name": "Noam",
            "last_name": "Levi",
            "date_of_birth": "2016-02-03",
            "relation": "child",
            "identifier": {"kind": "israeli_id", "value": child_number},
        },
        headers=auth_headers(app, user),
    )
    assert ward.status_code == 201, ward.text
    looked_up = client.post(
        "/api/v1/admin/residents/lookup",
        json={"identifier": {"kind": "israeli_id", "value": number}},
        headers=auth_headers(app, admin),
    )
    assert looked_up.status_code == 200
    for response in (enrolled, refused, ward, looked_up):
        assert number not in response.text
        assert child_number not in response.text
        assert rejected_number not in response.text

    secrets = {number, number.lstrip("0"), child_number, child_number.lstrip("0"), rejected_number}
    session.expire_all()
    found = []
    scanned_tables = 0
    for table in Base.metadata.sorted_tables:
        scanned_tables += 1
        for row in session.execute(select(table)).all():
            for column, value in zip(table.columns, row, strict=True):
                text = str(value) if value is not None else ""
                found += [f"{table.name}.{column.name}" for s in secrets if s in text]
    assert found == []
    assert scanned_tables >= 9
    assert caplog.records, "the log was captured"
    for secret in secrets:
        assert secret not in caplog.text


# --- races --------------------------------------------------------------------------------------


def _enrol_at_once(server: LiveServer, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    with server.database.session() as db:
        with_city(db)
        db.commit()
    barrier = threading.Barrier(len(bodies))

    def enrol(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            barrier.wait()
            return http.post("/api/v1/residents", json=body)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(enrol, bodies))


@pytest.mark.postgres_only
def test_one_identifier_enrolled_twice_at_once_is_one_holder(live_server: LiveServer) -> None:
    number = israeli_id(1_111)
    bodies = [
        enrolment_body(username=f"racer{i}", identifier={"kind": "israeli_id", "value": number})
        for i in range(4)
    ]

    responses = _enrol_at_once(live_server, bodies)

    # One record holds the number; the others, answered alike, claim it and wait for a clerk.
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    with live_server.database.session() as db:
        assert row_counts(db)["residents"] == 4
        assert row_counts(db)["users"] == 4
        holders = set(db.scalars(select(IdentityClaim.holder_id)))
        assert len(holders) == 1
        assert db.scalar(select(func.count()).select_from(IdentityClaim)) == 3
        assert {str(holders.pop()), *(_claimant_ids(db))} == {r.json()["id"] for r in responses}


def _claimant_ids(db: Session) -> set[str]:
    return {str(i) for i in db.scalars(select(IdentityClaim.claimant_id))}


@pytest.mark.postgres_only
def test_one_username_enrolled_twice_at_once_is_one_user(live_server: LiveServer) -> None:
    bodies = [
        enrolment_body(
            username="same.name", identifier={"kind": "israeli_id", "value": israeli_id(1_200 + i)}
        )
        for i in range(4)
    ]

    responses = _enrol_at_once(live_server, bodies)

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409], [
        r.text for r in responses
    ]
    assert {r.json()["error"] for r in responses if r.status_code == 409} == {"username_taken"}
    with live_server.database.session() as db:
        assert row_counts(db)["residents"] == 1
        assert row_counts(db)["households"] == 1


@pytest.mark.postgres_only
def test_neighbours_enrolling_at_once_share_one_household(live_server: LiveServer) -> None:
    bodies = [
        enrolment_body(
            username=f"neighbour{i}",
            identifier={"kind": "israeli_id", "value": israeli_id(1_300 + i)},
        )
        for i in range(4)
    ]

    responses = _enrol_at_once(live_server, bodies)

    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert len({r.json()["household"]["id"] for r in responses}) == 1
    with live_server.database.session() as db:
        assert row_counts(db)["households"] == 1
