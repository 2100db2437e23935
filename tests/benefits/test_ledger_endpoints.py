"""The ledger API: a resident sees only their own accounts; admins correct, auditors only read."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from benefits.ledger.models import Account, OwnerType, Posting, Unit
from benefits.ledger.service.accounts import accounts_of_owner, get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.posting import MAX_AMOUNT, PostingInput
from benefits.ledger.service.transactions import post_transaction
from kernel.clock import SetClock
from kernel.errors import AmountOutOfRange
from kernel.kit.integers import BIGINT_MAX, BIGINT_MIN
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.audit.models import AuditEntry
from tests.benefits.conftest import fund, new_key, resident_account
from tests.factories import auth_headers, create_resident, create_user


@pytest.fixture
def now(clock: SetClock) -> datetime:
    return clock.now()


@pytest.fixture
def admin(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.admin)


@pytest.fixture
def auditor(session: Session, settings: Settings) -> User:
    return create_user(session, settings, role=Role.auditor)


def resident_with_account(
    session: Session, settings: Settings, now: datetime, amount: int = 120
) -> tuple[User, Account]:
    user = create_user(session, settings, role=Role.resident)
    resident = create_resident(session, settings, user=user)
    account = resident_account(session, owner_id=resident.id)
    fund(session, account, amount, now=now)
    return user, account


def audit_entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


# A resident


def test_a_resident_sees_their_accounts_with_balances(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, now: datetime
) -> None:
    user, account = resident_with_account(session, settings, now)
    resident_with_account(session, settings, now, amount=999)  # someone else's
    response = client.get("/api/v1/ledger/me/accounts", headers=auth_headers(app, user))
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "id": str(account.id),
            "purpose": "parking_allowance",
            "unit": "PARKING_MIN",
            "balance": {
                "unit": "PARKING_MIN",
                "available": 120,
                "pending": 0,
                "reserved": 0,
                "posted": 120,
            },
        }
    ]


def test_a_user_with_no_resident_record_has_no_accounts(
    client: TestClient, app: FastAPI, session: Session, settings: Settings
) -> None:
    user = create_user(session, settings, role=Role.resident)
    response = client.get("/api/v1/ledger/me/accounts", headers=auth_headers(app, user))
    assert (response.status_code, response.json()) == (200, [])


def test_a_resident_reads_their_statement_and_not_anothers(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, now: datetime
) -> None:
    user, account = resident_with_account(session, settings, now)
    _other_user, other_account = resident_with_account(session, settings, now)
    headers = auth_headers(app, user)
    mine = client.get(f"/api/v1/ledger/me/accounts/{account.id}/statement", headers=headers)
    assert mine.status_code == 200, mine.text
    assert [(e["amount"], e["balance_after"]) for e in mine.json()["entries"]] == [(120, 120)]
    theirs = client.get(f"/api/v1/ledger/me/accounts/{other_account.id}/statement", headers=headers)
    unknown = client.get(f"/api/v1/ledger/me/accounts/{uuid.uuid4()}/statement", headers=headers)
    assert theirs.status_code == unknown.status_code == 404
    assert (
        theirs.json()
        == unknown.json()
        == {
            "error": "account_not_found",
            "detail": "The account was not found.",
        }
    )


def test_a_resident_cannot_read_a_city_account_through_their_statement(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, now: datetime
) -> None:
    user, _account = resident_with_account(session, settings, now)
    city = accounts_of_owner(session, OwnerType.city, None)[0]
    response = client.get(
        f"/api/v1/ledger/me/accounts/{city.id}/statement", headers=auth_headers(app, user)
    )
    assert response.status_code == 404


def test_the_statement_pages_with_a_cursor(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, now: datetime
) -> None:
    user, account = resident_with_account(session, settings, now)
    fund(session, account, 5, now=now)
    fund(session, account, 7, now=now)
    headers = auth_headers(app, user)
    url = f"/api/v1/ledger/me/accounts/{account.id}/statement"
    first = client.get(url, params={"limit": 2}, headers=headers).json()
    assert [e["balance_after"] for e in first["entries"]] == [132, 125]
    rest = client.get(
        url, params={"limit": 2, "before": first["next_before"]}, headers=headers
    ).json()
    assert [e["balance_after"] for e in rest["entries"]] == [120]
    assert rest["next_before"] is None
    assert client.get(url, params={"limit": 0}, headers=headers).status_code == 422


def test_staff_and_strangers_cannot_use_the_resident_endpoints(
    client: TestClient, app: FastAPI, admin: User
) -> None:
    assert client.get("/api/v1/ledger/me/accounts").status_code == 401
    response = client.get("/api/v1/ledger/me/accounts", headers=auth_headers(app, admin))
    assert response.status_code == 403


# Adjustments


def test_an_admin_adjusts_an_account_and_it_is_audited(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    now: datetime,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    body = {
        "account_id": str(account.id),
        "amount": -20,
        "reason": "double grant in March",
        "idempotency_key": "adj-1",
    }
    response = client.post(
        "/api/v1/admin/ledger/adjustments", json=body, headers=auth_headers(app, admin)
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["kind"] == "adjustment"
    assert created["created_by"] == str(admin.id)
    assert created["metadata"] == {"reason": "double grant in March"}
    postings = {p["account_id"]: p["amount"] for p in created["postings"]}
    assert postings[str(account.id)] == -20
    city = get_or_create_account(
        session,
        owner_type="city",
        owner_id=None,
        purpose="adjustments",
        unit=Unit.PARKING_MIN,
        allow_negative=True,
    )
    assert postings[str(city.id)] == 20
    assert get_balance(session, account.id, now=now).available == 100
    [entry] = audit_entries(session, "ledger.adjustment")
    assert entry.actor_id == admin.id
    assert entry.subject_id == str(account.id)
    assert entry.reason == "double grant in March"
    assert entry.before == {"balance": 120, "unit": "PARKING_MIN"}

    again = client.post(
        "/api/v1/admin/ledger/adjustments", json=body, headers=auth_headers(app, admin)
    )
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    assert len(audit_entries(session, "ledger.adjustment")) == 1
    different = client.post(
        "/api/v1/admin/ledger/adjustments",
        json={**body, "amount": -21},
        headers=auth_headers(app, admin),
    )
    assert (different.status_code, different.json()["error"]) == (422, "idempotency_mismatch")


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"amount": -121}, 409, "insufficient_balance"),
        ({"unit": "ILS"}, 422, "unit_mismatch"),
        ({"amount": 0}, 422, "validation_error"),
        ({"reason": "  "}, 422, "validation_error"),
        ({"reason": None}, 422, "validation_error"),
        ({"balance": 5}, 422, "validation_error"),
        ({"idempotency_key": "k" * 201}, 422, "validation_error"),
        ({"account_id": "00000000-0000-0000-0000-000000000000"}, 404, "account_not_found"),
    ],
)
def test_a_bad_adjustment_is_refused_and_changes_nothing(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    now: datetime,
    change: dict[str, object],
    status: int,
    error: str,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    body = {"account_id": str(account.id), "amount": 5, "reason": "fix", "idempotency_key": "k"}
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post(
        "/api/v1/admin/ledger/adjustments", json=body, headers=auth_headers(app, admin)
    )
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert get_balance(session, account.id, now=now).available == 120
    assert audit_entries(session, "ledger.adjustment") == []


@pytest.mark.parametrize("edge", ["account", "city"])
def test_an_adjustment_past_the_databases_range_is_refused_and_changes_nothing(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    now: datetime,
    edge: str,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    city = get_or_create_account(
        session,
        owner_type="city",
        owner_id=None,
        purpose="adjustments",
        unit=Unit.PARKING_MIN,
        allow_negative=True,
    )
    # As some 9,200 maximal adjustments would leave them: the account a step below BIGINT's top,
    # or the city's side a step above its bottom.
    if edge == "account":
        figures = {account.id: BIGINT_MAX - MAX_AMOUNT + 1}
    else:
        figures = {city.id: BIGINT_MIN + MAX_AMOUNT - 1}
    for account_id, balance in figures.items():
        session.execute(update(Account).where(Account.id == account_id).values(balance=balance))
    postings = session.scalar(select(func.count()).select_from(Posting))
    body = {
        "account_id": str(account.id),
        "amount": MAX_AMOUNT,
        "reason": "one more",
        "idempotency_key": "past-the-top",
    }

    response = client.post(
        "/api/v1/admin/ledger/adjustments",
        json=body,
        headers={**auth_headers(app, admin), "Accept-Language": "ar"},
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "amount_out_of_range",
        "detail": AmountOutOfRange.message["ar"],
    }
    assert session.scalar(select(func.count()).select_from(Posting)) == postings
    assert audit_entries(session, "ledger.adjustment") == []


def test_an_auditor_reads_but_never_changes(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    auditor: User,
    now: datetime,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    transaction = fund(session, account, 1, now=now)
    headers = auth_headers(app, auditor)
    adjust = client.post(
        "/api/v1/admin/ledger/adjustments",
        json={"account_id": str(account.id), "amount": 5, "reason": "x", "idempotency_key": "k"},
        headers=headers,
    )
    reverse = client.post(
        f"/api/v1/admin/ledger/transactions/{transaction.id}/reverse",
        json={"reason": "x"},
        headers=headers,
    )
    assert adjust.status_code == reverse.status_code == 403
    assert get_balance(session, account.id, now=now).available == 121
    assert client.get(f"/api/v1/admin/ledger/accounts/{account.id}", headers=headers).is_success
    assert client.get(
        f"/api/v1/admin/ledger/accounts/{account.id}/statement", headers=headers
    ).is_success
    assert client.get(
        f"/api/v1/admin/ledger/transactions/{transaction.id}", headers=headers
    ).is_success


def test_a_resident_cannot_use_the_staff_endpoints(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, now: datetime
) -> None:
    user, account = resident_with_account(session, settings, now)
    headers = auth_headers(app, user)
    assert (
        client.get(f"/api/v1/admin/ledger/accounts/{account.id}", headers=headers).status_code
        == 403
    )
    adjust = client.post(
        "/api/v1/admin/ledger/adjustments",
        json={"account_id": str(account.id), "amount": 5, "reason": "x", "idempotency_key": "k"},
        headers=headers,
    )
    assert adjust.status_code == 403


# Reversals


def test_an_admin_reverses_a_transaction_once(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    now: datetime,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    grant = fund(session, account, 30, now=now)
    headers = auth_headers(app, admin)
    url = f"/api/v1/admin/ledger/transactions/{grant.id}/reverse"
    response = client.post(url, json={"reason": "granted twice"}, headers=headers)
    assert response.status_code == 201, response.text
    reversal = response.json()
    assert reversal["reverses"] == str(grant.id)
    assert {p["account_id"]: p["amount"] for p in reversal["postings"]}[str(account.id)] == -30
    assert get_balance(session, account.id, now=now).available == 120
    [entry] = audit_entries(session, "ledger.reversal")
    assert (entry.actor_id, entry.subject_id, entry.reason) == (
        admin.id,
        str(grant.id),
        "granted twice",
    )

    second = client.post(url, json={"reason": "again"}, headers=headers)
    assert second.status_code == 409
    assert second.json()["error"] == "already_reversed"

    shown = client.get(f"/api/v1/admin/ledger/transactions/{grant.id}", headers=headers).json()
    assert shown["reversed_by"] == reversal["id"]
    assert len(audit_entries(session, "ledger.reversal")) == 1


def test_a_reversal_retried_with_its_key_answers_the_same(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    now: datetime,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    grant = fund(session, account, 30, now=now)
    url = f"/api/v1/admin/ledger/transactions/{grant.id}/reverse"
    body = {"reason": "wrong", "idempotency_key": "undo-grant"}
    first = client.post(url, json=body, headers=auth_headers(app, admin))
    again = client.post(url, json=body, headers=auth_headers(app, admin))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_reversing_an_unknown_transaction_is_404(
    client: TestClient, app: FastAPI, admin: User
) -> None:
    response = client.post(
        f"/api/v1/admin/ledger/transactions/{uuid.uuid4()}/reverse",
        json={"reason": "x"},
        headers=auth_headers(app, admin),
    )
    assert (response.status_code, response.json()["error"]) == (404, "transaction_not_found")


# Staff reads


def test_staff_read_an_account_now_and_in_the_past(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    clock: SetClock,
) -> None:
    before = clock.now()
    _user, account = resident_with_account(session, settings, before)
    clock.advance(hours=1)
    fund(session, account, 10, now=clock.now())
    headers = auth_headers(app, admin)
    url = f"/api/v1/admin/ledger/accounts/{account.id}"
    now_body = client.get(url, headers=headers).json()
    assert now_body["balance"]["available"] == 130
    assert now_body["owner_type"] == "resident"
    then = client.get(url, params={"as_of": before.isoformat()}, headers=headers).json()
    assert then["balance"]["available"] == 120
    naive = client.get(url, params={"as_of": "2026-01-01T00:00:00"}, headers=headers)
    assert naive.status_code == 422
    assert (
        client.get(f"/api/v1/admin/ledger/accounts/{uuid.uuid4()}", headers=headers).status_code
        == 404
    )


def test_staff_read_a_transaction_with_its_postings(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: Settings,
    admin: User,
    now: datetime,
) -> None:
    _user, account = resident_with_account(session, settings, now)
    other = resident_account(session)
    transaction = post_transaction(
        session,
        idempotency_key=new_key(),
        kind="transfer",
        postings=[PostingInput(account.id, -7), PostingInput(other.id, 7)],
        reference="purchase:123",
        metadata={"receipt": "A-1"},
        now=now,
    )
    body = client.get(
        f"/api/v1/admin/ledger/transactions/{transaction.id}", headers=auth_headers(app, admin)
    ).json()
    assert body["reference"] == "purchase:123"
    assert body["metadata"] == {"receipt": "A-1"}
    assert body["reversed_by"] is None
    assert sorted((p["account_id"], p["amount"]) for p in body["postings"]) == sorted(
        [(str(account.id), -7), (str(other.id), 7)]
    )
    missing = client.get(
        f"/api/v1/admin/ledger/transactions/{uuid.uuid4()}", headers=auth_headers(app, admin)
    )
    assert (missing.status_code, missing.json()["error"]) == (404, "transaction_not_found")


def test_the_openapi_lists_the_ledger_errors(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    adjust = document["paths"]["/api/v1/admin/ledger/adjustments"]["post"]["responses"]
    assert "insufficient_balance" in adjust["409"]["description"]
    assert "unit_mismatch" in adjust["422"]["description"]
    assert "amount_out_of_range" in adjust["422"]["description"]
