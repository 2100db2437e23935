"""Fraud signals flag purchases (they are still credited); clerks review them with a reason."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cashback.models import Flag
from kernel.clock import SetClock
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from tests.cashback.conftest import Shop, card_holder, make_business
from tests.cashback.test_purchases import buy
from tests.factories import auth_headers, create_user
from toshav.settings import ServiceSettings


def signals(session: Session) -> list[str]:
    return list(session.scalars(select(Flag.signal).order_by(Flag.created_at, Flag.signal)))


def test_many_purchases_by_one_resident_in_an_hour(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    for house in range(settings.cashback_resident_purchases_per_hour):
        _m, staff = make_business(session, settings, now=clock.now(), house_number=60 + house)
        assert (
            buy(client, auth_headers(app, staff), shop.token(clock.now()), 1_234).status_code == 201
        )
        clock.advance(minutes=5)
    assert signals(session) == []

    _m, staff = make_business(session, settings, now=clock.now(), house_number=99)
    response = buy(client, auth_headers(app, staff), shop.token(clock.now()), 1_234)

    assert response.status_code == 201  # flagged, not refused
    assert signals(session) == ["resident_velocity"]


def test_the_same_pair_again_and_again_in_a_day(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    # Morning in the city, so the four purchases fall on one calendar day whenever the suite runs.
    clock.at = (clock.now() + timedelta(days=1)).replace(hour=6, minute=0)
    headers = auth_headers(app, shop.staff)
    for _ in range(3):
        buy(client, headers, shop.token(clock.now()), 1_111)
        clock.advance(minutes=30)
    assert signals(session) == []

    buy(client, headers, shop.token(clock.now()), 1_111)

    assert signals(session) == ["repeated_pair"]


def test_round_and_outlying_amounts(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    headers = auth_headers(app, shop.staff)
    buy(client, headers, shop.token(clock.now()), 19_900)
    buy(client, headers, shop.token(clock.now(), card_holder(session, settings)), 30_000)
    assert signals(session) == ["round_amount"]

    for index in range(20):
        clock.advance(minutes=1)
        someone = card_holder(session, settings)
        buy(client, headers, shop.token(clock.now(), someone), 4_000 + 37 * index)
    assert signals(session) == ["round_amount"]
    clock.advance(minutes=1)
    buy(client, headers, shop.token(clock.now(), card_holder(session, settings)), 95_555)

    assert signals(session) == ["round_amount", "outlying_amount"]


def test_a_clerk_reviews_and_resolves_a_flag(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 50_000)
    admin_user = create_user(session, settings, role=Role.admin)
    admin = auth_headers(app, admin_user)
    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))

    listed = client.get("/api/v1/admin/cashback/flags", headers=auditor).json()
    assert len(listed) == 1
    flag = listed[0]
    assert flag["signal"] == "round_amount"
    assert flag["signal_name"]["en"] == "A high, round amount"
    assert flag["purchase"]["amount_agorot"] == 50_000
    assert flag["merchant_name"] == "Café Hadar"
    path = f"/api/v1/admin/cashback/flags/{flag['id']}/resolve"
    body = {"outcome": "dismissed", "reason": "a birthday cake order, receipt seen"}

    assert client.post(path, json=body, headers=auditor).status_code == 403
    resolved = client.post(path, json=body, headers=admin)
    again = client.post(path, json=body, headers=admin)

    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["outcome"] == "dismissed"
    assert again.status_code == 409
    assert again.json()["error"] == "flag_already_resolved"
    assert client.get("/api/v1/admin/cashback/flags", headers=admin).json() == []
    everything = client.get("/api/v1/admin/cashback/flags?status=resolved", headers=admin).json()
    assert [f["id"] for f in everything] == [flag["id"]]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "cashback.flag.resolve"))
    assert entry is not None
    assert entry.actor_id == admin_user.id
    assert entry.reason == body["reason"]
