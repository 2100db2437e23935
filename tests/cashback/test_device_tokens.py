"""At the till, a token the resident's phone signed, or the code under its QR, is taken as a
city-signed token is: one purchase per token or code, a replay refused, wrong codes counted
against the business (even though the purchase fails) and limited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cashback.models import Purchase
from kernel.clock import SetClock
from resident_card.cards import devices
from resident_card.cards.models import CardCodeMisses
from tests.cashback.conftest import Shop, count
from tests.cashback.test_concurrency import codes, count_of, open_till, purchase, race
from tests.cashback.test_purchases import buy
from tests.conftest import LiveServer
from tests.factories import auth_headers
from tests.resident_card.devices_support import phone_of


def test_a_phone_signed_token_buys_once(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    phone = phone_of(session, shop.settings, shop.resident, clock.now())
    headers = auth_headers(app, shop.staff)
    token = phone.token(clock.now())

    first = buy(client, headers, token)
    assert first.status_code == 201, first.text
    assert first.json()["cashback_agorot"] == 1_200
    replayed = buy(client, headers, token)
    assert replayed.status_code == 409
    assert replayed.json()["error"] == "token_replayed"
    assert count(session, Purchase) == 1


def test_the_typed_code_buys_once_and_a_wrong_one_names_no_one(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    phone = phone_of(session, shop.settings, shop.resident, clock.now())
    headers = auth_headers(app, shop.staff)
    code = phone.code(clock.now())

    first = buy(client, headers, f"{code[:4]} {code[4:8]} {code[8:]}")
    assert first.status_code == 201, first.text
    again = buy(client, headers, code)
    assert again.status_code == 409
    assert again.json()["error"] == "token_replayed"

    wrong = phone.code_prefix + str((int(code[6:]) + 1) % 1_000_000).zfill(6)
    refused = buy(client, headers, wrong, language="he")
    assert refused.status_code == 422
    assert refused.json()["error"] == "card_invalid"
    assert "שגוי" in refused.json()["detail"]
    assert count(session, Purchase) == 1
    # The purchase failed, yet the wrong code stays counted against the business.
    session.expire_all()
    assert session.scalar(select(CardCodeMisses.misses)) == 1


def test_a_business_that_keeps_guessing_is_stopped(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    phone = phone_of(session, shop.settings, shop.resident, clock.now())
    headers = auth_headers(app, shop.staff)
    right = phone.code(clock.now())
    wrong = phone.code_prefix + str((int(right[6:]) + 1) % 1_000_000).zfill(6)
    for _ in range(devices.CODE_MISSES_PER_HOUR):
        assert buy(client, headers, wrong).json()["error"] == "card_invalid"
    stopped = buy(client, headers, right)
    assert stopped.status_code == 429
    assert stopped.json()["error"] == "too_many_code_guesses"
    assert int(stopped.headers["Retry-After"]) > 0
    assert count(session, Purchase) == 0
    # Scanning still works.
    assert buy(client, headers, phone.token(clock.now())).status_code == 201


@pytest.mark.postgres_only
def test_one_phone_token_raced_by_20_tills_buys_once(live_server: LiveServer) -> None:
    till = open_till(live_server, budget=100_000)
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        phone = phone_of(session, database.settings, till.residents[0], now)
        session.commit()
    token = phone.token(now)

    responses = race(20, lambda client, i: purchase(till, client, token, f"phone-{i}"))

    assert codes(responses) == {"created": 1, "409 token_replayed": 19}
    assert count_of(live_server, Purchase) == 1


@pytest.mark.postgres_only
def test_one_typed_code_raced_by_20_tills_buys_once(live_server: LiveServer) -> None:
    till = open_till(live_server, budget=100_000)
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        phone = phone_of(session, database.settings, till.residents[0], now)
        session.commit()
    code = phone.code(now)

    responses = race(20, lambda client, i: purchase(till, client, code, f"code-{uuid.uuid4()}"))

    assert codes(responses) == {"created": 1, "409 token_replayed": 19}
    assert count_of(live_server, Purchase) == 1
