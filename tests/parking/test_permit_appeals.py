"""A refused permit is not offered again; appealed and granted, it is offered, and the rules path
yields it once, as the appeal's override."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision
from benefits.eligibility.repository import DecisionRepository
from benefits.ledger.service.check import check_ledger
from resident_card.accounts.models import Role
from tests.factories import auth_headers, create_user
from tests.parking.conftest import apply, person, register
from toshav.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("parking_ready")


def test_a_refused_permit_is_not_offered_until_its_appeal_is_granted(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI
) -> None:
    one = person(session, settings, app, house_number=20)
    partner = person(session, settings, app, house_number=20)
    for plate in ("1111111", "2222222", "33333333"):
        register(client, one, plate)
    apply(client, one, "1111111")
    apply(client, partner, "2222222")
    refused = apply(client, one, "33333333")
    assert refused["status"] == "refused"

    def offered() -> list[str]:
        offer = client.get("/api/v1/parking/me", headers=one.headers).json()["offer"]
        return [plate.replace("-", "") for plate in offer["plates"]] if offer else []

    assert offered() == []  # the two others hold permits; the third was refused

    sent = client.post(
        "/api/v1/appeals",
        json={"decision_id": refused["decision_id"], "message": "A carer's car; see the letter."},
        headers=one.headers,
    )
    assert sent.status_code == 201, sent.text
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    decided = client.post(
        f"/api/v1/admin/appeals/{sent.json()['id']}/decide",
        json={"outcome": "granted", "reason": "A carer's vehicle: a third permit is allowed."},
        headers=admin,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["transaction_id"] is None  # a permit is no ledger entry

    assert "33333333" in offered()
    granted = apply(client, one, "33333333")
    assert granted["status"] == "active"
    decision = session.get_one(Decision, uuid.UUID(granted["decision_id"]))
    assert decision.appeal_id == uuid.UUID(sent.json()["id"])
    # The appeal yields one permit, not a way around the rule for every vehicle.
    repository = DecisionRepository(session)
    assert repository.unused_override(decision.programme_id, one.resident.id) is None
    assert check_ledger(session).ok
