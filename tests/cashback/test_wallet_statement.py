"""What a resident earned, as they read it: each purchase with its state, and the statement behind
their cashback (held until the return window ends, released, spent, refunded), with no internal
account name in any answer they read."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cashback.service import releases
from kernel.clock import SetClock
from resident_card.accounts.models import Role
from tests.cashback.conftest import Shop
from tests.cashback.test_purchases import buy
from tests.cashback.test_redemptions import redeem
from tests.cashback.test_refunds import refund
from tests.factories import auth_headers, create_user
from toshav.settings import ServiceSettings

INTERNAL = ("cashback_receivable", "cashback_budget", "cashback_funding", "owed_to_merchant")


def test_a_held_and_a_released_purchase_and_the_statement_behind_them(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    user = create_user(session, settings, role=Role.resident)
    shop.resident.user_id = user.id
    session.flush()
    staff = auth_headers(app, shop.staff)
    mine = auth_headers(app, user)

    first = buy(client, staff, shop.token(clock.now()), 20_000, receipt="R-1").json()
    clock.advance(days=settings.cashback_return_window_days, seconds=1)
    releases.release_due_holds(session, now=clock.now())
    clock.advance(hours=1)
    assert redeem(client, staff, shop.token(clock.now()), 500).status_code == 201
    clock.advance(hours=1)
    assert refund(client, staff, first["purchase_id"], 5_000).status_code == 201
    clock.advance(hours=1)
    second = buy(client, staff, shop.token(clock.now()), 12_000, receipt="R-2").json()

    wallet = client.get("/api/v1/cashback/me", headers=mine)
    assert wallet.status_code == 200
    body = wallet.json()
    # Newest first: the held one, then the released one with its refunded part.
    held, released = body["purchases"]
    assert (held["id"], held["state"], held["business"]) == (
        second["purchase_id"],
        "held",
        "Café Hadar",
    )
    assert (held["amount_agorot"], held["cashback_agorot"]) == (12_000, 1_200)
    assert held["released_at"] is None
    assert held["available_at"] > released["available_at"]
    assert (released["id"], released["state"]) == (first["purchase_id"], "available")
    assert released["released_at"] is not None
    assert (released["refunded_agorot"], released["cashback_returned_agorot"]) == (5_000, 500)
    assert (body["available_agorot"], body["pending_agorot"]) == (2_000 - 500 - 500, 1_200)

    statement = client.get("/api/v1/cashback/me/statement", headers=mine)
    assert statement.status_code == 200
    entries = statement.json()["entries"]
    assert [(e["kind"], e["amount_agorot"]) for e in entries] == [
        ("held", 1_200),
        ("refunded", -500),
        ("spent", -500),
        ("released", 2_000),
        ("held", 2_000),
    ]
    assert all(e["business"] == "Café Hadar" for e in entries)
    assert entries[0]["held_until"] == held["available_at"]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)

    for answer in (wallet, statement, client.get("/api/v1/cards/me", headers=mine)):
        assert not any(name in answer.text for name in INTERNAL), answer.text


def test_a_resident_without_cashback_has_an_empty_statement(
    client: TestClient, app: FastAPI, session: Session, settings: ServiceSettings
) -> None:
    user = create_user(session, settings, role=Role.resident)
    answer = client.get("/api/v1/cashback/me/statement", headers=auth_headers(app, user))
    assert answer.status_code == 200
    assert answer.json() == {"entries": []}
    assert client.get("/api/v1/cashback/me/statement").status_code == 401
