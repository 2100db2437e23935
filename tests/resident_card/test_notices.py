"""A clerk's residency decision tells the accounts that answer for the resident: verified, or
refused with the clerk's reason; a ward without an account is answered for by their guardians."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from kernel.i18n import LANGUAGES
from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.residents.identifiers import IdentifierKind
from resident_card.residents.models import Resident, WardRelation
from resident_card.residents.notices import recipients
from resident_card.residents.service import records, wards
from tests.factories import auth_headers, create_resident, create_street, create_user, israeli_id


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.admin)


def _decide(
    client: TestClient,
    app: FastAPI,
    admin: User,
    resident: Resident | uuid.UUID,
    status: str,
    reason: str,
) -> int:
    resident_id = resident.id if isinstance(resident, Resident) else resident
    response = client.post(
        f"/api/v1/admin/residents/{resident_id}/status",
        json={"status": status, "reason": reason},
        headers=auth_headers(app, admin),
    )
    code: int = response.status_code
    return code


def _ward(session: Session, settings: Settings, guardian: Resident, seed: int) -> Resident:
    return wards.add_ward(
        session,
        settings,
        guardian,
        person=records.Person(
            first_name="Noam",
            last_name="Levi",
            date_of_birth=guardian.date_of_birth.replace(year=2016),
            identifier_kind=IdentifierKind.israeli_id,
            identifier_value=israeli_id(seed),
        ),
        relation=WardRelation.child,
        actor_id=guardian.user_id,
        now=guardian.created_at,
    )


def _assert_texts(notice: Notice, *details: str) -> None:
    for language in LANGUAGES:
        assert notice.title[language].strip()
        assert notice.body[language].strip()
        for detail in details:
            assert detail in notice.body[language], (language, notice.body[language])


def test_verifying_a_resident_tells_them(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    notices_posted: list[Notice],
) -> None:
    dana = create_resident(session, settings, status="pending", user=True, first_name="Dana")

    assert _decide(client, app, admin, dana, "verified", "lease and arnona bill") == 200

    assert len(notices_posted) == 1
    notice = notices_posted[0]
    assert (notice.account_id, notice.category, notice.link) == (
        dana.user_id,
        Category.residency,
        "/wallet#residency",
    )
    _assert_texts(notice, "Dana Levi")
    assert notice.title["en"] == "Residency verified"


def test_refusing_a_resident_tells_them_the_clerks_reason(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    notices_posted: list[Notice],
) -> None:
    dana = create_resident(session, settings, status="pending", user=True)

    assert _decide(client, app, admin, dana, "rejected", "The lease is not in your name") == 200

    [notice] = notices_posted
    assert (notice.account_id, notice.category, notice.link) == (
        dana.user_id,
        Category.residency,
        "/wallet#residency",
    )
    _assert_texts(notice, "The lease is not in your name", "Dana Levi")
    assert notice.title["en"] == "Residency not verified"


def test_a_ward_without_an_account_is_answered_for_by_the_guardians(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    notices_posted: list[Notice],
) -> None:
    street = create_street(session)
    mother = create_resident(session, settings, user=True, street=street, house_number=4)
    father = create_resident(
        session, settings, user=True, street=street, house_number=4, first_name="Avi"
    )
    ward = _ward(session, settings, mother, 2_001)
    assert _ward(session, settings, father, 2_001).id == ward.id  # the other guardian links it
    assert ward.user_id is None

    assert recipients(session, ward) == [mother.user_id, father.user_id]
    assert _decide(client, app, admin, ward, "verified", "birth certificate") == 200

    assert [n.account_id for n in notices_posted] == [mother.user_id, father.user_id]
    for notice in notices_posted:
        assert notice.category == Category.residency
        _assert_texts(notice, "Noam Levi")


def test_a_resident_with_an_account_is_told_alone_and_nobody_else_is_told(
    session: Session, settings: Settings
) -> None:
    dana = create_resident(session, settings, user=True)
    nobody = create_resident(session, settings)  # a registry record no one has claimed

    assert recipients(session, dana) == [dana.user_id]
    assert recipients(session, nobody) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [("verified", "suspended"), ("suspended", "moved_out"), ("verified", "moved_out")],
)
def test_other_status_changes_tell_no_one_here(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    notices_posted: list[Notice],
    before: str,
    after: str,
) -> None:
    dana = create_resident(session, settings, status=before, user=True)

    assert _decide(client, app, admin, dana, after, "checked") == 200

    assert notices_posted == []


def test_a_refused_decision_posts_nothing(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    notices_posted: list[Notice],
) -> None:
    dana = create_resident(session, settings, status="rejected", user=True)
    pending = create_resident(session, settings, status="pending", user=True)

    assert _decide(client, app, admin, dana, "verified", "changed my mind") == 409
    assert _decide(client, app, admin, pending, "verified", "   ") == 422
    assert _decide(client, app, admin, uuid.uuid4(), "verified", "who?") == 404
    resident_user = session.get(User, pending.user_id)
    assert resident_user is not None
    forbidden = client.post(
        f"/api/v1/admin/residents/{pending.id}/status",
        json={"status": "verified", "reason": "self-service"},
        headers=auth_headers(app, resident_user),
    )
    assert forbidden.status_code == 403

    assert notices_posted == []
