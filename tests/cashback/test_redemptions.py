"""Spending cashback at a business: the resident's balance goes down, the city owes the business."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.ledger.models import Transaction
from benefits.ledger.service.check import check_ledger
from cashback.models import CardTokenUse, Redemption
from cashback.service import merchants, releases
from kernel.clock import SetClock
from tests.cashback.conftest import Shop, cashback_balance, count, make_business
from tests.cashback.test_purchases import buy
from tests.factories import auth_headers
from toshav.settings import ServiceSettings


def redeem(
    client: TestClient,
    headers: dict[str, str],
    token: str,
    amount: int,
    *,
    key: str | None = None,
) -> Any:
    return client.post(
        "/api/v1/cashback/redemptions",
        json={"card_token": token, "amount_agorot": amount, "receipt": "P-9"},
        headers={**headers, "Idempotency-Key": key or uuid.uuid4().hex},
    )


def written(session: Session) -> tuple[int, int, int]:
    return count(session, Redemption), count(session, Transaction), count(session, CardTokenUse)


def earn(shop: Shop, client: TestClient, app: FastAPI, clock: SetClock, amount: int) -> None:
    """A purchase whose cashback has become available."""
    assert (
        buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), amount).status_code
        == 201
    )
    clock.advance(days=shop.settings.cashback_return_window_days, seconds=1)


def test_spending_cashback_moves_it_to_what_the_city_owes_the_business(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    earn(shop, client, app, clock, 20_000)
    # Spent at another participating business.
    other, other_staff = make_business(session, settings, now=clock.now(), house_number=50)
    headers = auth_headers(app, other_staff)

    response = redeem(client, headers, shop.token(clock.now()), 1_500)

    assert response.status_code == 201, response.text
    assert response.json()["balance_after_agorot"] == 500
    assert cashback_balance(session, shop.resident, clock.now()).available == 500
    assert merchants.owed_to(session, other, now=clock.now()) == 1_500
    me = client.get("/api/v1/cashback/merchants/me", headers=headers).json()
    assert me["owed_agorot"] == 1_500
    assert check_ledger(session).ok


def test_more_than_the_balance_is_refused_and_writes_nothing(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    earn(shop, client, app, clock, 20_000)
    releases.release_due_holds(session, now=clock.now())
    before = written(session)

    response = redeem(client, auth_headers(app, shop.staff), shop.token(clock.now()), 2_001)

    assert response.status_code == 409
    assert response.json()["error"] == "insufficient_cashback"
    assert "₪20.00" in response.json()["detail"]
    assert written(session) == before


def test_cashback_still_held_cannot_be_spent(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    buy(client, headers, shop.token(clock.now()), 20_000)

    response = redeem(client, headers, shop.token(clock.now()), 100)

    assert response.json()["error"] == "insufficient_cashback"
    assert cashback_balance(session, shop.resident, clock.now()).pending == 2_000


def test_a_redemption_retried_gets_the_same_answer_and_a_token_is_used_once(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    earn(shop, client, app, clock, 20_000)
    headers, token = auth_headers(app, shop.staff), shop.token(clock.now())
    first = redeem(client, headers, token, 700, key="pay-1")
    before = written(session)

    again = redeem(client, headers, token, 700, key="pay-1")
    replayed = redeem(client, headers, token, 700, key="pay-2")
    mismatch = redeem(client, headers, token, 800, key="pay-1")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert replayed.json()["error"] == "token_replayed"
    assert mismatch.json()["error"] == "idempotency_mismatch"
    assert written(session) == before
    assert cashback_balance(session, shop.resident, clock.now()).available == 1_300


def test_the_till_can_look_up_a_balance_without_using_the_code(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    earn(shop, client, app, clock, 20_000)
    buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 10_000)
    headers, token = auth_headers(app, shop.staff), shop.token(clock.now())

    looked = client.post("/api/v1/cashback/balance", json={"card_token": token}, headers=headers)

    assert looked.status_code == 200
    assert looked.json() == {"available_agorot": 2_000, "pending_agorot": 1_000}
    assert redeem(client, headers, token, 2_000).status_code == 201
    bad = client.post("/api/v1/cashback/balance", json={"card_token": "x.y.z"}, headers=headers)
    assert bad.json()["error"] == "card_invalid"
