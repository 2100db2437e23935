"""Businesses apply, clerks approve, suspend or reject them with a reason (audited), and staff
accounts belong to one business."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.ledger.models import Account, Hold, HoldPosting, Posting, Transaction
from cashback.models import Merchant, MerchantStaff, MerchantStatus
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.audit.models import AuditEntry
from tests.cashback.conftest import count, make_business, prepare_city, registry_number
from tests.factories import auth_headers, create_user


@pytest.fixture
def city(session: Session, settings: Settings, clock: SetClock) -> None:
    prepare_city(session, settings, clock.now())


def application(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "registry_number": registry_number(),
        "name": "Falafel HaNevi'im",
        "category": "restaurant",
        "street_code": "hanevim",
        "house_number": 7,
    }
    body.update(overrides)
    return body


def staff_user(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.merchant)


@pytest.mark.usefixtures("city")
def test_a_business_applies_and_its_applicant_becomes_its_staff(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    applicant = staff_user(session, settings)
    headers = auth_headers(app, applicant)
    body = application(registry_number="51504-0012")

    response = client.post("/api/v1/cashback/merchants", json=body, headers=headers)

    assert response.status_code == 201, response.text
    made = response.json()
    assert made["status"] == "pending"
    assert made["registry_number"] == "515040012"
    assert made["address"]["neighbourhood_code"] == "hadar"
    assert made["category_name"]["he"] == "מסעדה"
    me = client.get("/api/v1/cashback/merchants/me", headers=headers).json()
    assert me["id"] == made["id"]
    assert me["campaigns"] == []
    again = client.post("/api/v1/cashback/merchants", json=application(), headers=headers)
    assert again.json()["error"] == "already_merchant_staff"


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"registry_number": "515040013"}, 422, "invalid_registry_number"),
        ({"registry_number": "51504001a"}, 422, "invalid_registry_number"),
        ({"registry_number": "000000000"}, 422, "invalid_registry_number"),
        ({"street_code": "nowhere"}, 422, "address_not_in_city"),
        ({"house_number": 9000}, 422, "address_not_in_city"),
        ({"category": "casino"}, 422, "validation_error"),
        ({"name": "  "}, 422, "validation_error"),
        ({"status": "approved"}, 422, "validation_error"),
    ],
)
def test_a_bad_application_is_refused_and_writes_nothing(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    overrides: dict[str, Any],
    status: int,
    code: str,
) -> None:
    headers = auth_headers(app, staff_user(session, settings))
    before = (count(session, Merchant), count(session, MerchantStaff), count(session, AuditEntry))

    response = client.post(
        "/api/v1/cashback/merchants", json=application(**overrides), headers=headers
    )

    assert response.status_code == status
    assert response.json()["error"] == code
    after = (count(session, Merchant), count(session, MerchantStaff), count(session, AuditEntry))
    assert after == before


@pytest.mark.usefixtures("city")
def test_a_registry_number_is_registered_once(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    number = registry_number()
    first = client.post(
        "/api/v1/cashback/merchants",
        json=application(registry_number=number),
        headers=auth_headers(app, staff_user(session, settings)),
    )
    assert first.status_code == 201
    second = client.post(
        "/api/v1/cashback/merchants",
        json=application(registry_number=number),
        headers=auth_headers(app, staff_user(session, settings)),
    )
    assert second.status_code == 409
    assert second.json()["error"] == "registry_number_taken"


@pytest.mark.usefixtures("city")
def test_a_clerk_approves_suspends_and_reinstates_with_reasons_in_the_audit_log(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    merchant, _staff = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.pending
    )
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    base = f"/api/v1/admin/cashback/merchants/{merchant.id}"

    approved = client.post(f"{base}/approve", json={"reason": "papers checked"}, headers=admin)
    suspended = client.post(f"{base}/suspend", json={"reason": "complaints"}, headers=admin)
    wrong = client.post(f"{base}/suspend", json={"reason": "again"}, headers=admin)
    blank = client.post(f"{base}/approve", json={"reason": " "}, headers=admin)
    back = client.post(f"{base}/approve", json={"reason": "resolved"}, headers=admin)

    assert approved.json()["status"] == "approved"
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "complaints"
    assert wrong.status_code == 409
    assert wrong.json()["error"] == "invalid_merchant_transition"
    assert blank.status_code == 422
    assert back.json()["status"] == "approved"
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.subject_id == str(merchant.id),
            AuditEntry.action != "cashback.merchant.apply",
        )
        .order_by(AuditEntry.created_at)
    ).all()
    assert [(e.action, e.reason) for e in entries] == [
        ("cashback.merchant.approved", "papers checked"),
        ("cashback.merchant.suspended", "complaints"),
        ("cashback.merchant.approved", "resolved"),
    ]
    assert entries[1].before == {"status": "approved"}


@pytest.mark.usefixtures("city")
def test_a_rejected_business_stays_rejected(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    merchant, _staff = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.pending
    )
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    base = f"/api/v1/admin/cashback/merchants/{merchant.id}"

    assert (
        client.post(f"{base}/reject", json={"reason": "not local"}, headers=admin).status_code
        == 200
    )
    again = client.post(f"{base}/approve", json={"reason": "changed mind"}, headers=admin)
    assert again.json()["error"] == "invalid_merchant_transition"


@pytest.mark.usefixtures("city")
def test_who_may_decide_and_who_may_read(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    merchant, staff = make_business(session, settings, now=clock.now())
    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))
    base = f"/api/v1/admin/cashback/merchants/{merchant.id}"

    assert client.get(base, headers=auditor).status_code == 200
    assert client.get(base, headers=auditor).json()["staff_user_ids"] == [str(staff.id)]
    for headers in (auditor, auth_headers(app, staff)):
        assert (
            client.post(f"{base}/suspend", json={"reason": "x"}, headers=headers).status_code == 403
        )
    listed = client.get("/api/v1/admin/cashback/merchants?status=approved", headers=auditor).json()
    assert [m["id"] for m in listed] == [str(merchant.id)]
    assert (
        client.get("/api/v1/admin/cashback/merchants", headers=auth_headers(app, staff)).status_code
        == 403
    )


@pytest.mark.usefixtures("city")
def test_a_clerk_files_a_paper_application_and_adds_staff(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    filed = client.post("/api/v1/admin/cashback/merchants", json=application(), headers=admin)
    assert filed.status_code == 201
    assert filed.json()["staff_user_ids"] == []
    base = f"/api/v1/admin/cashback/merchants/{filed.json()['id']}"
    cashier = staff_user(session, settings)
    resident = create_user(session, settings, role=Role.resident)

    added = client.post(f"{base}/staff", json={"user_id": str(cashier.id)}, headers=admin)
    twice = client.post(f"{base}/staff", json={"user_id": str(cashier.id)}, headers=admin)
    not_merchant = client.post(f"{base}/staff", json={"user_id": str(resident.id)}, headers=admin)

    assert added.status_code == 201
    assert added.json()["staff_user_ids"] == [str(cashier.id)]
    assert twice.json()["error"] == "already_merchant_staff"
    assert not_merchant.json()["error"] == "not_a_merchant_account"
    me = client.get("/api/v1/cashback/merchants/me", headers=auth_headers(app, cashier))
    assert me.json()["id"] == filed.json()["id"]

    removed = client.delete(f"{base}/staff/{cashier.id}", headers=admin)
    assert removed.status_code == 204
    gone = client.get("/api/v1/cashback/merchants/me", headers=auth_headers(app, cashier))
    assert gone.json()["error"] == "not_merchant_staff"


LEDGER_TABLES = (Account, Transaction, Posting, Hold, HoldPosting)


def ledger_rows(session: Session) -> dict[str, int]:
    return {table.__tablename__: count(session, table) for table in LEDGER_TABLES}


@pytest.mark.usefixtures("city")
def test_reading_what_the_city_owes_a_business_writes_nothing(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    """A business no redemption has reached yet has no account in the ledger: reading it, as a
    clerk, an auditor or its staff, says the city owes it nothing and makes none."""
    merchant, staff = make_business(session, settings, now=clock.now())
    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))
    before = ledger_rows(session)

    one = client.get(f"/api/v1/admin/cashback/merchants/{merchant.id}", headers=auditor)
    listed = client.get("/api/v1/admin/cashback/merchants", headers=auditor)
    mine = client.get("/api/v1/cashback/merchants/me", headers=auth_headers(app, staff))

    assert [r.status_code for r in (one, listed, mine)] == [200, 200, 200]
    assert one.json()["owed_agorot"] == 0
    assert [m["owed_agorot"] for m in listed.json()] == [0]
    assert mine.json()["owed_agorot"] == 0
    assert ledger_rows(session) == before
