"""A resident's own email and phone: a phone at once, a new email once its link is opened, and
nobody else's record reached."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from kernel.notices import Category, Notice
from kernel.settings import Settings
from messages import tasks
from resident_card.accounts.models import Role, User
from resident_card.residents.models import EmailChange, Resident
from resident_card.residents.service.contact import EMAIL_CHANGES_PER_WINDOW
from tests.conftest import LiveServer
from tests.factories import auth_headers, create_resident, create_user
from tests.messages.support import context
from tests.smtp import SmtpServer, smtp_server

CONTACT = "/api/v1/residents/me/contact"
CONFIRM = "/api/v1/residents/me/contact/confirm-email"
__all__ = ["smtp_server"]  # the fixture, for the test that reads real emails
LINK = re.compile(r"^/confirm-email#token=([A-Za-z0-9_-]{43})$")


def resident_with_account(
    session: Session, settings: Settings, email: str | None = "dana@example.org"
) -> tuple[Resident, User]:
    user = create_user(session, settings, role=Role.resident)
    resident = create_resident(session, settings, user=user, email=email)
    return resident, user


def token_of(notice: Notice) -> str:
    assert notice.link is not None
    found = LINK.match(notice.link)
    assert found is not None, notice.link
    return found.group(1)


def test_i_read_my_contact_details(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    resident, user = resident_with_account(session, settings)
    resident.phone = "0501234567"
    session.flush()

    response = client.get(CONTACT, headers=auth_headers(app, user))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "email": "dana@example.org",
        "phone": "0501234567",
        "pending_email": None,
        "pending_email_expires_at": None,
    }


def test_a_phone_changes_at_once(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    notices_posted: list[Notice],
) -> None:
    _resident, user = resident_with_account(session, settings)
    headers = auth_headers(app, user)

    response = client.patch(CONTACT, json={"phone": "+972 50-765-4321"}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "+972507654321"
    assert client.get("/api/v1/residents/me", headers=headers).json()["phone"] == "+972507654321"
    assert notices_posted == []
    cleared = client.patch(CONTACT, json={"phone": None}, headers=headers)
    assert cleared.status_code == 200
    assert cleared.json()["phone"] is None


def test_a_bad_phone_or_email_changes_nothing(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    _resident, user = resident_with_account(session, settings)
    headers = auth_headers(app, user)

    for body in ({"phone": "12"}, {"email": "not-an-address"}, {"email": None}, {"role": "x"}):
        response = client.patch(CONTACT, json=body, headers=headers)
        assert response.status_code == 422, body

    assert client.get(CONTACT, headers=headers).json()["email"] == "dana@example.org"


def test_the_last_way_to_reach_me_cannot_be_cleared(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    resident, user = resident_with_account(session, settings)
    resident.email = None
    resident.phone = "0501234567"
    session.flush()

    response = client.patch(CONTACT, json={"phone": None}, headers=auth_headers(app, user))

    assert response.status_code == 422
    assert response.json()["error"] == "contact_required"


def test_a_new_email_is_mine_once_its_link_is_opened(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    notices_posted: list[Notice],
) -> None:
    _resident, user = resident_with_account(session, settings)
    headers = auth_headers(app, user)

    response = client.patch(CONTACT, json={"email": "dana.new@example.org"}, headers=headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == "dana@example.org"
    assert body["pending_email"] == "dana.new@example.org"
    assert body["pending_email_expires_at"] is not None
    confirm, asked = notices_posted
    assert confirm.email == "dana.new@example.org"
    assert confirm.email_only is True
    assert confirm.category is Category.security
    assert confirm.account_id == user.id
    # The address the city has now is told a change was asked for.
    assert asked.email == "dana@example.org"
    assert asked.email_only is False
    assert asked.category is Category.security
    token = token_of(confirm)
    stored = session.scalars(select(EmailChange)).one()
    assert token not in stored.token_hash

    confirmed = client.post(CONFIRM, json={"token": token}, headers=headers)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == "dana.new@example.org"
    assert confirmed.json()["pending_email"] is None
    assert client.get("/api/v1/residents/me", headers=headers).json()["email"] == (
        "dana.new@example.org"
    )
    assert notices_posted[-1].category is Category.security
    again = client.post(CONFIRM, json={"token": token}, headers=headers)
    assert again.status_code == 400
    assert again.json()["error"] == "email_token_invalid"


def test_another_resident_cannot_confirm_or_read_my_new_email(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    notices_posted: list[Notice],
) -> None:
    _mine, me = resident_with_account(session, settings)
    other, someone = resident_with_account(session, settings, email="other@example.org")
    client.patch(CONTACT, json={"email": "dana.new@example.org"}, headers=auth_headers(app, me))
    token = token_of(notices_posted[0])
    theirs = auth_headers(app, someone)

    refused = client.post(CONFIRM, json={"token": token}, headers=theirs)
    read = client.get(CONTACT, headers=theirs).json()

    assert refused.status_code == 400
    assert refused.json()["error"] == "email_token_invalid"
    assert read == {
        "email": "other@example.org",
        "phone": None,
        "pending_email": None,
        "pending_email_expires_at": None,
    }
    session.expire_all()
    assert session.get(Resident, other.id).email == "other@example.org"  # type: ignore[union-attr]
    # Mine still works.
    assert client.post(CONFIRM, json={"token": token}, headers=auth_headers(app, me)).json()[
        "email"
    ] == ("dana.new@example.org")


def test_a_link_works_24_hours_and_a_newer_request_replaces_it(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    _resident, user = resident_with_account(session, settings)
    headers = auth_headers(app, user)
    client.patch(CONTACT, json={"email": "first@example.org"}, headers=headers)
    client.patch(CONTACT, json={"email": "second@example.org"}, headers=headers)
    first, second = (token_of(n) for n in notices_posted if n.email_only)

    assert client.post(CONFIRM, json={"token": first}, headers=headers).status_code == 400
    clock.advance(hours=24)
    assert client.get(CONTACT, headers=headers).json()["pending_email"] is None
    assert client.post(CONFIRM, json={"token": second}, headers=headers).status_code == 400
    assert client.get(CONTACT, headers=headers).json()["email"] == "dana@example.org"


def test_giving_my_email_again_withdraws_the_pending_change(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    notices_posted: list[Notice],
) -> None:
    _resident, user = resident_with_account(session, settings)
    headers = auth_headers(app, user)
    client.patch(CONTACT, json={"email": "new@example.org"}, headers=headers)
    token = token_of(notices_posted[0])

    response = client.patch(CONTACT, json={"email": "DANA@example.org"}, headers=headers)

    assert response.json()["pending_email"] is None
    assert client.post(CONFIRM, json={"token": token}, headers=headers).status_code == 400


def test_a_few_email_changes_an_hour(
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    notices_posted: list[Notice],
) -> None:
    _resident, user = resident_with_account(session, settings)
    headers = auth_headers(app, user)
    for number in range(EMAIL_CHANGES_PER_WINDOW):
        response = client.patch(CONTACT, json={"email": f"n{number}@example.org"}, headers=headers)
        assert response.status_code == 200

    refused = client.patch(CONTACT, json={"email": "flood@example.org"}, headers=headers)

    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_email_changes"
    changes = session.scalar(select(func.count()).select_from(EmailChange))
    assert changes == EMAIL_CHANGES_PER_WINDOW


def test_staff_have_no_contact_record(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> None:
    clerk = create_user(session, settings, role=Role.admin)

    assert client.get(CONTACT, headers=auth_headers(app, clerk)).status_code == 403


def test_the_new_address_gets_its_link_and_the_old_one_is_told_by_smtp(
    live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    database = live_server.database
    settings = database.settings.model_copy(update={"smtp_url": SecretStr(smtp_server.url)})
    with database.session() as session:
        _resident, user = resident_with_account(session, database.settings, email="old@example.org")
        session.commit()
        headers = auth_headers(live_server.app, user)
    asked = httpx.patch(
        f"{live_server.base_url}{CONTACT}", json={"email": "new@example.org"}, headers=headers
    )
    assert asked.status_code == 200

    tasks.DELIVER.run(context(settings, database.engine, datetime.now(UTC) + timedelta(seconds=1)))

    received = {email.recipients[0]: email for email in smtp_server.wait_for(2)}
    assert set(received) == {"old@example.org", "new@example.org"}
    assert "/confirm-email#token=" not in received["old@example.org"].text()
    found = re.search(
        r"/confirm-email#token=([A-Za-z0-9_-]{43})", received["new@example.org"].text()
    )
    assert found is not None
    confirmed = httpx.post(
        f"{live_server.base_url}{CONFIRM}", json={"token": found.group(1)}, headers=headers
    )
    assert confirmed.json()["email"] == "new@example.org"
