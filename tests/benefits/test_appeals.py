"""Appeals end to end: a resident appeals a refused decision, a clerk grants or refuses it; a
granted appeal yields the benefit as a recorded override linked in the ledger, never twice."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.appeals.service import requests_of
from benefits.eligibility.models import AllowanceGrant, Decision
from benefits.eligibility.service.allowances import grant_allowance
from benefits.eligibility.service.follow_ups import current_period
from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.models import Transaction
from benefits.ledger.service.check import check_ledger
from kernel.clock import SetClock
from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.residents.models import Guardianship, Resident
from tests.factories import auth_headers, create_resident, create_user

ZONE = ZoneInfo("Asia/Jerusalem")
MINUTES = "parking_free_minutes"


@pytest.fixture
def loaded(session: Session, clock: SetClock) -> None:
    load_programmes(session, now=clock.now(), zone=ZONE)


def headers_of(app: FastAPI, session: Session, resident: Resident) -> dict[str, str]:
    assert resident.user_id is not None
    return auth_headers(app, session.get_one(User, resident.user_id))


def refused_decision(session: Session, clock: SetClock, resident: Resident) -> Decision:
    """The month's run refuses a resident not yet verified, and stores why."""
    grant_allowance(
        session,
        programme_code=MINUTES,
        period=current_period(clock.now(), ZONE),
        now=clock.now(),
        zone=ZONE,
    )
    decision = session.scalar(
        select(Decision).where(Decision.resident_id == resident.id, Decision.outcome != "eligible")
    )
    assert decision is not None
    return decision


@pytest.fixture
def admin(session: Session, settings: Settings, app: FastAPI) -> dict[str, str]:
    return auth_headers(app, create_user(session, settings, role=Role.admin))


def test_a_granted_appeal_credits_the_month_through_a_decision_naming_it(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
    admin: dict[str, str],
    notices_posted: list[Notice],
) -> None:
    resident = create_resident(session, settings, status="suspended", user=True)
    mine = headers_of(app, session, resident)
    refused = refused_decision(session, clock, resident)

    sent = client.post(
        "/api/v1/appeals",
        json={"decision_id": str(refused.id), "message": "I live here; my papers are in order."},
        headers=mine,
    )
    assert sent.status_code == 201, sent.text
    appeal = sent.json()
    assert appeal["status"] == "submitted"
    assert appeal["decision_id"] == str(refused.id)
    assert appeal["programme"] == MINUTES
    assert appeal["message"] == "I live here; my papers are in order."
    assert appeal["created_at"]

    waiting = client.get("/api/v1/admin/appeals?status=submitted", headers=admin).json()
    assert [a["id"] for a in waiting["items"]] == [appeal["id"]]
    decided = client.post(
        f"/api/v1/admin/appeals/{appeal['id']}/decide",
        json={"outcome": "granted", "reason": "Suspension lifted at the desk."},
        headers=admin,
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "granted"
    assert body["reason"] == "Suspension lifted at the desk."

    override = session.get_one(Decision, uuid.UUID(body["outcome_decision_id"]))
    read = client.get(f"/api/v1/benefits/me/decisions/{override.id}", headers=mine).json()
    assert (read["eligible"], read["appeal_id"]) == (True, appeal["id"])
    assert override.eligible
    assert override.appeal_id == uuid.UUID(appeal["id"])
    assert "Suspension lifted at the desk." in override.reasons[0]["text"]["en"]
    transaction = session.get_one(Transaction, uuid.UUID(body["transaction_id"]))
    assert transaction.reference == f"appeal:{appeal['id']}"
    period = current_period(clock.now(), ZONE).label
    assert transaction.idempotency_key == f"grant:{MINUTES}:{resident.id}:{period}"
    accounts = client.get("/api/v1/ledger/me/accounts", headers=mine).json()
    assert [a["balance"]["available"] for a in accounts if a["purpose"] == MINUTES] == [120]
    assert check_ledger(session).ok

    # The month's run afterwards gives nothing twice.
    again = grant_allowance(
        session, programme_code=MINUTES, period=period, now=clock.now(), zone=ZONE
    )
    assert resident.id not in again.granted_to
    grants = session.scalars(
        select(AllowanceGrant).where(AllowanceGrant.resident_id == resident.id)
    ).all()
    assert [g.decision_id for g in grants] == [override.id]

    # The resident reads it, as an appeal and as a request with its timeline.
    listed = client.get("/api/v1/appeals/me", headers=mine).json()
    assert [(a["id"], a["status"]) for a in listed] == [(appeal["id"], "granted")]
    assert resident.user_id is not None
    (request,) = requests_of(session, resident.user_id, [resident.id])
    assert request.kind == "appeal"
    assert [step.status for step in request.timeline] == ["submitted", "granted"]
    assert request.timeline[-1].note == "Suspension lifted at the desk."
    assert set(request.status_text) == {"he", "ar", "en"}
    told = [(n.key, n.account_id) for n in notices_posted if n.category == Category.appeals]
    assert told == [
        (f"appeal:{appeal['id']}:submitted", resident.user_id),
        (f"appeal:{appeal['id']}:granted", resident.user_id),
    ]

    # A granted appeal stands: the decision cannot be appealed again, nor the appeal decided again.
    twice = client.post(
        "/api/v1/appeals",
        json={"decision_id": str(refused.id), "message": "again"},
        headers=mine,
    )
    assert (twice.status_code, twice.json()["error"]) == (409, "appeal_already_granted")
    redo = client.post(
        f"/api/v1/admin/appeals/{appeal['id']}/decide",
        json={"outcome": "refused", "reason": "changed my mind"},
        headers=admin,
    )
    assert (redo.status_code, redo.json()["error"]) == (409, "appeal_already_decided")


def test_a_refused_appeal_records_the_reason_and_credits_nothing(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
    admin: dict[str, str],
) -> None:
    resident = create_resident(session, settings, status="pending", user=True)
    mine = headers_of(app, session, resident)
    refused = refused_decision(session, clock, resident)
    sent = client.post(
        "/api/v1/appeals",
        json={"decision_id": str(refused.id), "message": "Please look again."},
        headers=mine,
    )
    assert sent.status_code == 201
    appeal_id = sent.json()["id"]

    second = client.post(
        "/api/v1/appeals",
        json={"decision_id": str(refused.id), "message": "Please look again, again."},
        headers=mine,
    )
    assert (second.status_code, second.json()["error"]) == (409, "appeal_already_open")

    decided = client.post(
        f"/api/v1/admin/appeals/{appeal_id}/decide",
        json={"outcome": "refused", "reason": "Residency is not verified yet."},
        headers=admin,
    )
    assert decided.status_code == 200
    body = decided.json()
    assert (body["status"], body["reason"]) == ("refused", "Residency is not verified yet.")
    assert body["transaction_id"] is None
    assert body["outcome_decision_id"] is None
    assert (
        session.scalars(
            select(AllowanceGrant).where(AllowanceGrant.resident_id == resident.id)
        ).all()
        == []
    )
    refusals = client.get("/api/v1/admin/appeals?status=refused", headers=admin).json()
    assert [a["id"] for a in refusals["items"]] == [appeal_id]
    assert check_ledger(session).ok


def test_only_a_refusal_of_ones_own_or_a_wards_can_be_appealed(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
) -> None:
    guardian = create_resident(session, settings, user=True)
    ward = create_resident(
        session, settings, status="pending", date_of_birth=date(2016, 5, 5), user=False
    )
    session.add(Guardianship(guardian_id=guardian.id, ward_id=ward.id, relation="child"))
    stranger = create_resident(session, settings, status="pending", user=True)
    session.flush()
    refused_decision(session, clock, ward)
    ward_refusal = session.scalar(select(Decision).where(Decision.resident_id == ward.id))
    stranger_refusal = session.scalar(select(Decision).where(Decision.resident_id == stranger.id))
    guardian_grant = session.scalar(
        select(Decision).where(Decision.resident_id == guardian.id, Decision.outcome == "eligible")
    )
    assert ward_refusal is not None
    assert stranger_refusal is not None
    assert guardian_grant is not None
    mine = headers_of(app, session, guardian)

    def appeal(decision_id: uuid.UUID) -> tuple[int, str | None]:
        answer = client.post(
            "/api/v1/appeals",
            json={"decision_id": str(decision_id), "message": "Please."},
            headers=mine,
        )
        return answer.status_code, answer.json().get("error")

    assert appeal(stranger_refusal.id) == (404, "decision_not_found")
    assert appeal(uuid.uuid4()) == (404, "decision_not_found")
    assert appeal(guardian_grant.id) == (409, "decision_not_refused")
    assert appeal(ward_refusal.id)[0] == 201
    listed = client.get("/api/v1/appeals/me", headers=mine).json()
    assert [a["resident_id"] for a in listed] == [str(ward.id)]
    # The stranger sees none of it.
    assert client.get("/api/v1/appeals/me", headers=headers_of(app, session, stranger)).json() == []


def test_bad_input_is_refused_and_changes_nothing(
    session: Session,
    settings: Settings,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    loaded: None,
    admin: dict[str, str],
) -> None:
    resident = create_resident(session, settings, status="pending", user=True)
    refused = refused_decision(session, clock, resident)
    mine = headers_of(app, session, resident)
    for body in (
        {"decision_id": str(refused.id), "message": ""},
        {"decision_id": str(refused.id), "message": "x" * 2001},
        {"decision_id": "nope", "message": "hi"},
        {"decision_id": str(refused.id), "message": "hi", "status": "granted"},
    ):
        assert client.post("/api/v1/appeals", json=body, headers=mine).status_code == 422
    assert client.get("/api/v1/appeals/me", headers=mine).json() == []
    unknown = client.post(
        f"/api/v1/admin/appeals/{uuid.uuid4()}/decide",
        json={"outcome": "granted", "reason": "why not"},
        headers=admin,
    )
    assert (unknown.status_code, unknown.json()["error"]) == (404, "appeal_not_found")
    bad = client.post(
        f"/api/v1/admin/appeals/{uuid.uuid4()}/decide",
        json={"outcome": "maybe", "reason": "why not"},
        headers=admin,
    )
    assert bad.status_code == 422
