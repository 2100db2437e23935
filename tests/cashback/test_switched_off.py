"""With cashback switched off, the resident's card says nothing of cashback: no wallet line, and a
business's scan names no cashback programme, though the ledger still holds what was earned."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from kernel.clock import SetClock
from resident_card.accounts.models import Role
from tests.cashback.conftest import Shop
from tests.cashback.test_purchases import buy
from tests.conftest import built_app
from tests.factories import auth_headers, create_user
from toshav import plug_ins
from toshav.domains import EVERY
from toshav.settings import ServiceSettings


def _benefits(client: TestClient, headers: dict[str, str]) -> list[str]:
    card = client.get("/api/v1/cards/me", headers=headers)
    assert card.status_code == 200, card.text
    return [line["code"] for line in card.json()["benefits"]]


def _programmes(client: TestClient, token: str, headers: dict[str, str]) -> list[str]:
    answer = client.post("/api/v1/cards/verify", json={"token": token}, headers=headers)
    assert answer.status_code == 200, answer.text
    programmes: list[str] = answer.json()["programmes"]
    return programmes


def test_with_cashback_off_the_card_shows_no_cashback(
    shop: Shop,
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    connection: Connection,
    clock: SetClock,
) -> None:
    user = create_user(session, settings, role=Role.resident)
    shop.resident.user_id = user.id
    session.flush()
    bought = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 12_000)
    assert bought.status_code == 201, bought.text
    clock.advance(days=settings.cashback_return_window_days, seconds=1)
    plug_ins.install(EVERY)  # twice: still one cashback line
    assert _benefits(client, auth_headers(app, user)).count("cashback") == 1
    assert _programmes(client, shop.token(clock.now()), auth_headers(app, shop.staff)) == [
        "cashback_resident"
    ]

    for modules in ([], ["parking"]):
        off = built_app(
            settings.model_copy(update={"modules": modules}), clock=clock, connection=connection
        )
        with TestClient(off, headers={"Accept-Language": "en"}) as without:
            assert "cashback" not in _benefits(without, auth_headers(off, user))
            assert (
                _programmes(without, shop.token(clock.now()), auth_headers(off, shop.staff)) == []
            )
            assert (
                without.get("/api/v1/cashback/me", headers=auth_headers(off, user)).status_code
                == 404
            )
