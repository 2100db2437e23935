"""Campaigns: terms, names in three languages, a budget account that the city funds with audited
top-ups, and which businesses each one covers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.ledger.models import Account, Transaction
from benefits.ledger.service.check import check_ledger
from cashback.models import Campaign
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from tests.cashback.conftest import count, prepare_city
from tests.factories import auth_headers, create_user


@pytest.fixture
def admin(session: Session, settings: Settings, app: FastAPI, clock: SetClock) -> dict[str, str]:
    prepare_city(session, settings, clock.now())
    return auth_headers(app, create_user(session, settings, role=Role.admin))


def terms(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "hanukkah-2026",
        "names": {"he": "חנוכה בעיר", "ar": "حانوكا في المدينة", "en": "Hanukkah in town"},
        "rate_bp": 750,
        "min_purchase_agorot": 2_000,
        "cap_per_purchase_agorot": 3_000,
        "cap_per_resident_month_agorot": 10_000,
        "cap_per_resident_business_day_agorot": 5_000,
        "categories": ["books", "clothing"],
        "neighbourhoods": ["hadar"],
        "starts_at": "2026-12-14T00:00:00+02:00",
        "ends_at": "2026-12-23T00:00:00+02:00",
    }
    body.update(overrides)
    return body


def test_a_clerk_creates_a_campaign_and_funds_its_budget(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    made = client.post("/api/v1/admin/cashback/campaigns", json=terms(), headers=admin)
    assert made.status_code == 201, made.text
    campaign = made.json()
    assert campaign["budget"] == {"available_agorot": 0, "held_agorot": 0, "posted_agorot": 0}
    assert campaign["running"] is False
    assert campaign["categories"] == ["books", "clothing"]
    path = f"/api/v1/admin/cashback/campaigns/{campaign['id']}/top-ups"
    top_up = {"amount_agorot": 5_000_000, "reason": "council decision 41", "idempotency_key": "t-1"}

    funded = client.post(path, json=top_up, headers=admin)
    retried = client.post(path, json=top_up, headers=admin)

    assert funded.status_code == 201
    assert funded.json()["budget"]["available_agorot"] == 5_000_000
    assert retried.json()["transaction_id"] == funded.json()["transaction_id"]
    assert retried.headers["idempotent-replayed"] == "true"
    shown = client.get(f"/api/v1/admin/cashback/campaigns/{campaign['id']}", headers=admin).json()
    assert shown["budget"]["available_agorot"] == 5_000_000
    audits = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_id == campaign["id"])
        .order_by(AuditEntry.created_at)
    ).all()
    assert [a.action for a in audits] == ["cashback.campaign.create", "cashback.campaign.top_up"]
    assert audits[1].reason == "council decision 41"
    stored = session.get(Campaign, uuid.UUID(campaign["id"]))
    assert stored is not None
    budget = session.get(Account, stored.budget_account_id)
    assert budget is not None
    assert (budget.owner_type, budget.allow_negative) == ("campaign", False)
    assert check_ledger(session).ok


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"neighbourhoods": ["atlantis"]}, "invalid_campaign"),
        ({"programme_code": "no_such_programme"}, "invalid_campaign"),
        ({"ends_at": "2026-12-01T00:00:00+02:00"}, "validation_error"),
        ({"rate_bp": 0}, "validation_error"),
        ({"rate_bp": 10_001}, "validation_error"),
        ({"cap_per_purchase_agorot": 0}, "validation_error"),
        ({"categories": ["casino"]}, "validation_error"),
        ({"starts_at": "2026-12-14T00:00:00"}, "validation_error"),
        ({"code": "Bad Code"}, "validation_error"),
        ({"budget_agorot": 100}, "validation_error"),
    ],
)
def test_a_bad_campaign_is_refused_and_writes_nothing(
    client: TestClient,
    admin: dict[str, str],
    session: Session,
    overrides: dict[str, Any],
    code: str,
) -> None:
    before = (count(session, Campaign), count(session, Account), count(session, AuditEntry))

    response = client.post(
        "/api/v1/admin/cashback/campaigns", json=terms(**overrides), headers=admin
    )

    assert response.status_code == 422
    assert response.json()["error"] == code
    assert (count(session, Campaign), count(session, Account), count(session, AuditEntry)) == before


def test_a_campaign_code_is_used_once_and_only_clerks_make_or_fund_them(
    client: TestClient, admin: dict[str, str], app: FastAPI, session: Session, settings: Settings
) -> None:
    made = client.post("/api/v1/admin/cashback/campaigns", json=terms(), headers=admin).json()
    twice = client.post("/api/v1/admin/cashback/campaigns", json=terms(), headers=admin)
    assert twice.status_code == 409
    assert twice.json()["error"] == "campaign_exists"

    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))
    merchant = auth_headers(app, create_user(session, settings, role=Role.merchant))
    transactions = count(session, Transaction)
    for headers in (auditor, merchant):
        top_up = client.post(
            f"/api/v1/admin/cashback/campaigns/{made['id']}/top-ups",
            json={"amount_agorot": 1, "reason": "x", "idempotency_key": "x"},
            headers=headers,
        )
        assert top_up.status_code == 403
    assert count(session, Transaction) == transactions
    assert client.get("/api/v1/admin/cashback/campaigns", headers=auditor).status_code == 200
    assert client.get("/api/v1/admin/cashback/campaigns", headers=merchant).status_code == 403
