"""Benefits follow events: a resident verified, a ward added, a rule version published credit the
month's allowance at once, with no command, and the monthly run later credits nothing twice."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.eligibility.models import AllowanceGrant
from benefits.eligibility.service.allowances import grant_allowance
from benefits.eligibility.service.follow_ups import current_period
from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.models import Transaction
from benefits.ledger.service.check import check_ledger
from kernel.clock import SetClock
from kernel.i18n import month_text
from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.residents.models import Resident
from tests.factories import auth_headers, create_resident, create_user

ZONE = ZoneInfo("Asia/Jerusalem")
MINUTES = "parking_free_minutes"


@pytest.fixture
def loaded(session: Session, clock: SetClock) -> None:
    load_programmes(session, now=clock.now(), zone=ZONE)


def minutes_of(client: TestClient, headers: dict[str, str]) -> int | None:
    accounts = client.get("/api/v1/ledger/me/accounts", headers=headers).json()
    found = [a["balance"]["available"] for a in accounts if a["purpose"] == MINUTES]
    return found[0] if found else None


def verify(
    client: TestClient, app: FastAPI, admin_headers: dict[str, str], resident: Resident
) -> None:
    answer = client.post(
        f"/api/v1/admin/residents/{resident.id}/status",
        json={"status": "verified", "reason": "documents seen at the desk"},
        headers=admin_headers,
    )
    assert answer.status_code == 200, answer.text


def test_a_resident_verified_mid_month_has_free_minutes_without_any_command(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
    notices_posted: list[Notice],
) -> None:
    resident = create_resident(session, settings, status="pending", user=True)
    admin = create_user(session, settings, role=Role.admin)
    assert resident.user_id is not None
    mine = auth_headers(app, session.get_one(User, resident.user_id))
    assert minutes_of(client, mine) in (None, 0)

    verify(client, app, auth_headers(app, admin), resident)

    assert minutes_of(client, mine) == 120
    told = [n for n in notices_posted if n.category == Category.free_time]
    period = current_period(clock.now(), ZONE).label
    assert [(n.account_id, n.key) for n in told if MINUTES in (n.key or "")] == [
        (resident.user_id, f"free_time:{MINUTES}:{resident.id}:{period}")
    ]
    assert {"he", "ar", "en"} <= set(told[0].body)
    assert "120" in told[0].body["en"]
    # The month by its name in each language, never its code inside the sentence.
    year, month = (int(part) for part in period.split("-"))
    for language in ("he", "ar", "en"):
        assert month_text(year, month)[language] in told[0].body[language]
        assert period not in told[0].body[language]

    # The monthly run afterwards credits nobody twice.
    report = grant_allowance(
        session, programme_code=MINUTES, period=period, now=clock.now(), zone=ZONE
    )
    assert resident.id not in report.granted_to
    assert minutes_of(client, mine) == 120
    keys = session.scalars(
        select(Transaction.idempotency_key).where(
            Transaction.idempotency_key == f"grant:{MINUTES}:{resident.id}:{period}"
        )
    ).all()
    assert len(keys) == 1
    assert check_ledger(session).ok


def test_a_refusal_credits_nothing_and_a_second_verification_path_is_idempotent(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
) -> None:
    refused = create_resident(session, settings, status="pending", user=True)
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    answer = client.post(
        f"/api/v1/admin/residents/{refused.id}/status",
        json={"status": "rejected", "reason": "not a resident"},
        headers=admin,
    )
    assert answer.status_code == 200
    grants = session.scalars(
        select(AllowanceGrant).where(AllowanceGrant.resident_id == refused.id)
    ).all()
    assert grants == []


def test_a_ward_verified_by_the_clerk_is_credited_and_the_guardian_told(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
    notices_posted: list[Notice],
) -> None:
    guardian = create_resident(session, settings, user=True)
    assert guardian.user_id is not None
    added = client.post(
        "/api/v1/residents/me/wards",
        json={
            "first_name": "Noa",
            "last_name": "Levi",
            "date_of_birth": date(2015, 3, 1).isoformat(),
            "relation": "child",
            "identifier": {"kind": "foster_care", "value": "FC-2291"},
        },
        headers=auth_headers(app, session.get_one(User, guardian.user_id)),
    )
    assert added.status_code == 201, added.text
    ward = session.get_one(Resident, uuid.UUID(added.json()["id"]))
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))

    verify(client, app, admin, ward)

    period = current_period(clock.now(), ZONE).label
    grant = session.scalar(
        select(AllowanceGrant).where(
            AllowanceGrant.resident_id == ward.id, AllowanceGrant.period == period
        )
    )
    assert grant is not None
    assert grant.amount == 120
    told = [n for n in notices_posted if n.key == f"free_time:{MINUTES}:{ward.id}:{period}"]
    assert [n.account_id for n in told] == [guardian.user_id]


def test_a_rule_version_published_now_credits_the_residents_it_makes_eligible(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
) -> None:
    resident = create_resident(session, settings, user=True)
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    created = client.post(
        "/api/v1/admin/programmes",
        json={
            "code": "winter_parking",
            "names": {"he": "חניית חורף", "ar": "وقوف الشتاء", "en": "Winter parking"},
            "descriptions": {"he": "דקות", "ar": "دقائق", "en": "Minutes"},
            "unit": "PARKING_MIN",
            "allowance": {"amount": 30, "period": "month"},
            "active_from": "2026-01-01",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    period = current_period(clock.now(), ZONE).label

    def winter_grant() -> AllowanceGrant | None:
        return session.scalar(
            select(AllowanceGrant).where(
                AllowanceGrant.resident_id == resident.id,
                AllowanceGrant.period == period,
                AllowanceGrant.amount == 30,
            )
        )

    assert winter_grant() is None
    published = client.post(
        "/api/v1/admin/programmes/winter_parking/rules",
        json={"rule": {"fact": "residency_status", "op": "==", "value": "verified"}},
        headers=admin,
    )
    assert published.status_code == 201, published.text
    grant = winter_grant()
    assert grant is not None
    assert check_ledger(session).ok
