"""A business's application among its owner's requests (``GET /requests/me``): submitted, then the
clerk's decisions with their reasons; for the account that applied, not for other staff."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cashback.models import MerchantStatus
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from tests.cashback.conftest import make_business, prepare_city
from tests.factories import auth_headers, create_user

REQUESTS = "/api/v1/requests/me"


@pytest.fixture
def city(session: Session, settings: Settings, clock: SetClock) -> None:
    prepare_city(session, settings, clock.now())


def _mine(client: TestClient, headers: dict[str, str], language: str = "en") -> list[Any]:
    response = client.get(REQUESTS, headers={**headers, "Accept-Language": language})
    assert response.status_code == 200, response.text
    body: list[Any] = response.json()
    return body


@pytest.mark.usefixtures("city")
def test_an_approved_application_with_the_clerks_reason(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    merchant, owner = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.pending, name="Café Hadar"
    )
    headers = auth_headers(app, owner)
    [waiting] = _mine(client, headers)
    assert (waiting["id"], waiting["kind"], waiting["status"]) == (
        str(merchant.id),
        "business_application",
        "submitted",
    )
    assert waiting["timeline"][0]["note"] == "Café Hadar"

    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    base = f"/api/v1/admin/cashback/merchants/{merchant.id}"
    approved = client.post(f"{base}/approve", json={"reason": "papers checked"}, headers=admin)
    assert approved.status_code == 200, approved.text

    [request] = _mine(client, headers)
    assert request["status"] == "approved"
    assert request["status_text"] == "Business approved"
    assert [(s["status"], s["note"]) for s in request["timeline"]] == [
        ("submitted", "Café Hadar"),
        ("approved", "papers checked"),
    ]

    for path, reason in (("suspend", "complaints"), ("approve", "resolved")):
        assert client.post(f"{base}/{path}", json={"reason": reason}, headers=admin).is_success
    [later] = _mine(client, headers, "he")
    assert [(s["status"], s["note"]) for s in later["timeline"]][1:] == [
        ("approved", "papers checked"),
        ("suspended", "complaints"),
        ("reinstated", "resolved"),
    ]
    assert later["status_text"] == "העסק חודש"
    assert _mine(client, headers, "ar")[0]["status_text"] == "أُعيد تفعيل المصلحة"


@pytest.mark.usefixtures("city")
def test_decisions_of_one_moment_keep_their_order(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    _merchant, owner = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.suspended
    )

    [request] = _mine(client, auth_headers(app, owner))

    assert [s["status"] for s in request["timeline"]] == ["submitted", "approved", "suspended"]


@pytest.mark.usefixtures("city")
def test_other_staff_and_other_businesses_see_no_application(
    client: TestClient, app: FastAPI, session: Session, settings: Settings, clock: SetClock
) -> None:
    merchant, owner = make_business(session, settings, now=clock.now())
    _other, other_owner = make_business(session, settings, now=clock.now(), name="Other")
    cashier = create_user(session, settings, role=Role.merchant)
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    added = client.post(
        f"/api/v1/admin/cashback/merchants/{merchant.id}/staff",
        json={"user_id": str(cashier.id)},
        headers=admin,
    )
    assert added.is_success, added.text

    assert [r["id"] for r in _mine(client, auth_headers(app, owner))] == [str(merchant.id)]
    assert str(merchant.id) not in {r["id"] for r in _mine(client, auth_headers(app, other_owner))}
    assert _mine(client, auth_headers(app, cashier)) == []
