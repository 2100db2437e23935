"""Refunds take back the proportional cashback: from the hold in the return window, from the balance
after it, and — when the resident already spent it — as a debt their next cashback settles."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.ledger.models import Hold, Transaction
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from cashback.models import Purchase, Refund
from cashback.service import accounts, campaigns, merchants, releases
from kernel.clock import SetClock
from tests.cashback.conftest import Shop, cashback_balance, count
from tests.cashback.test_purchases import buy
from tests.factories import auth_headers


def refund(
    client: TestClient,
    headers: dict[str, str],
    purchase_id: str,
    amount: int,
    *,
    key: str | None = None,
) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/cashback/purchases/{purchase_id}/refunds",
        json={"amount_agorot": amount, "receipt": "RET-1"},
        headers={**headers, **extra},
    )


def redeem(client: TestClient, headers: dict[str, str], token: str, amount: int) -> Any:
    return client.post(
        "/api/v1/cashback/redemptions",
        json={"card_token": token, "amount_agorot": amount},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )


def written(session: Session) -> tuple[int, int, int]:
    return count(session, Refund), count(session, Transaction), count(session, Hold)


def owed_by(session: Session, shop: Shop, now: Any) -> int:
    wallet = accounts.lock_wallet(session, shop.resident.id)
    return -get_balance(session, wallet.receivable_account_id, now=now).posted


def test_partial_refunds_in_the_return_window_shrink_the_hold(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now()), 12_000).json()

    first = refund(client, headers, purchase["purchase_id"], 6_000)

    assert first.status_code == 201, first.text
    assert first.json()["cashback_taken_back_agorot"] == 600
    assert first.json()["from_hold_agorot"] == 600
    balance = cashback_balance(session, shop.resident, clock.now())
    assert (balance.available, balance.pending) == (0, 600)
    budget = campaigns.budget_of(session, shop.campaign, now=clock.now())
    assert (budget.available, budget.reserved) == (1_000_000 - 600, 600)

    rest = refund(client, headers, purchase["purchase_id"], 6_000)
    assert rest.json()["cashback_taken_back_agorot"] == 600
    shown = client.get(f"/api/v1/cashback/purchases/{purchase['purchase_id']}", headers=headers)
    assert shown.json()["state"] == "returned"
    assert shown.json()["refunded_agorot"] == 12_000
    assert [r["amount_agorot"] for r in shown.json()["refunds"]] == [6_000, 6_000]
    assert cashback_balance(session, shop.resident, clock.now()).pending == 0
    assert campaigns.budget_of(session, shop.campaign, now=clock.now()).available == 1_000_000
    assert check_ledger(session).ok


def test_the_held_rest_still_becomes_available_when_the_window_ends(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now()), 10_000).json()
    refund(client, headers, purchase["purchase_id"], 2_500)

    clock.advance(days=shop.settings.cashback_return_window_days, seconds=1)
    report = releases.release_due_holds(session, now=clock.now())

    assert report.released == 1
    assert report.amount_agorot == 750
    assert cashback_balance(session, shop.resident, clock.now()).available == 750
    assert check_ledger(session).ok


def test_rounding_never_takes_back_more_than_was_given(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now()), 999).json()
    assert purchase["cashback_agorot"] == 99

    taken = [
        refund(client, headers, purchase["purchase_id"], amount).json()[
            "cashback_taken_back_agorot"
        ]
        for amount in (500, 333, 166)
    ]

    assert taken == [49, 33, 17]
    assert sum(taken) == 99


def test_a_refund_after_the_window_comes_out_of_the_balance(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now()), 12_000).json()
    clock.advance(days=shop.settings.cashback_return_window_days, seconds=1)

    response = refund(client, headers, purchase["purchase_id"], 12_000)

    assert response.json()["from_balance_agorot"] == 1_200
    assert response.json()["shortfall_agorot"] == 0
    balance = cashback_balance(session, shop.resident, clock.now())
    assert (balance.available, balance.pending) == (0, 0)
    assert campaigns.budget_of(session, shop.campaign, now=clock.now()).available == 1_000_000
    assert check_ledger(session).ok


def test_a_refund_after_spending_is_owed_and_the_next_cashback_settles_it(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    window = shop.settings.cashback_return_window_days
    purchase = buy(client, headers, shop.token(clock.now()), 12_000).json()
    clock.advance(days=window, seconds=1)
    spent = redeem(client, headers, shop.token(clock.now()), 1_000)
    assert spent.status_code == 201, spent.text
    assert spent.json()["balance_after_agorot"] == 200

    response = refund(client, headers, purchase["purchase_id"], 12_000)

    assert response.status_code == 201
    assert response.json()["cashback_taken_back_agorot"] == 1_200
    assert response.json()["from_balance_agorot"] == 200
    assert response.json()["shortfall_agorot"] == 1_000
    assert owed_by(session, shop, clock.now()) == 1_000
    assert cashback_balance(session, shop.resident, clock.now()).available == 0
    # The budget has all of it back; what the resident spent is now their debt.
    assert campaigns.budget_of(session, shop.campaign, now=clock.now()).available == 1_000_000
    # What the business was paid for stays owed to it: the resident owes the city, not the shop.
    assert merchants.owed_to(session, shop.merchant, now=clock.now()) == 1_000
    assert check_ledger(session).ok

    # The next cashback that becomes available pays the debt first.
    buy(client, headers, shop.token(clock.now()), 15_000)
    clock.advance(days=window, seconds=1)
    report = releases.release_due_holds(session, now=clock.now())
    assert (report.amount_agorot, report.recovered_agorot) == (1_500, 1_000)
    assert owed_by(session, shop, clock.now()) == 0
    assert cashback_balance(session, shop.resident, clock.now()).available == 500
    assert campaigns.budget_of(session, shop.campaign, now=clock.now()).available == 998_500
    assert check_ledger(session).ok


def test_a_refund_larger_than_what_is_left_is_refused(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now()), 12_000).json()
    before = written(session)

    too_much = refund(client, headers, purchase["purchase_id"], 12_001)
    assert too_much.status_code == 422
    assert too_much.json()["error"] == "refund_too_large"
    assert "₪120.00" in too_much.json()["detail"]
    assert written(session) == before

    refund(client, headers, purchase["purchase_id"], 10_000)
    after_one = written(session)
    again = refund(client, headers, purchase["purchase_id"], 2_001)
    assert again.json()["error"] == "refund_too_large"
    assert "₪20.00" in again.json()["detail"]
    assert written(session) == after_one


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_of_nothing_is_amount_invalid(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock, amount: int
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now())).json()
    before = written(session)

    response = refund(client, headers, purchase["purchase_id"], amount)

    assert response.json()["error"] == "amount_invalid"
    assert written(session) == before


def test_a_refund_of_a_refund_is_refused(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now())).json()
    first = refund(client, headers, purchase["purchase_id"], 1_000).json()
    before = written(session)

    response = refund(client, headers, first["id"], 500)

    assert response.status_code == 422
    assert response.json()["error"] == "refund_of_refund"
    assert written(session) == before


def test_a_refund_retried_with_its_key_is_made_once(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    purchase = buy(client, headers, shop.token(clock.now())).json()
    first = refund(client, headers, purchase["purchase_id"], 1_000, key="ret-77")
    before = written(session)

    again = refund(client, headers, purchase["purchase_id"], 1_000, key="ret-77")
    other = refund(client, headers, purchase["purchase_id"], 2_000, key="ret-77")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert other.json()["error"] == "idempotency_mismatch"
    assert written(session) == before
    stored = session.get(Purchase, uuid.UUID(purchase["purchase_id"]))
    assert stored is not None
    session.refresh(stored)
    assert stored.refunded_agorot == 1_000
