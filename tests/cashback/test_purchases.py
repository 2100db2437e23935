"""Purchases at the till: cashback held for the return window with its reasons, retries that write
nothing new, each refusal by its code, bad input that writes nothing, and other businesses' data."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision
from benefits.ledger.models import Hold, Transaction
from benefits.ledger.service.check import check_ledger
from cashback.exceptions import CARD_REFUSALS
from cashback.models import (
    BusinessCategory,
    CardTokenUse,
    Flag,
    MerchantStatus,
    Purchase,
    Wallet,
)
from cashback.service import campaigns
from cashback.tasks import RELEASE_HOLDS
from kernel.clock import SetClock
from tests.cashback.conftest import (
    Shop,
    card_holder,
    cashback_balance,
    count,
    make_business,
    make_campaign,
)
from tests.factories import auth_headers
from tests.jobs.conftest import worker_in
from toshav.settings import ServiceSettings

WRITTEN = (Purchase, CardTokenUse, Hold, Transaction, Decision, Wallet, Flag)


def snapshot(session: Session) -> dict[str, int]:
    return {model.__name__: count(session, model) for model in WRITTEN}


def buy(
    client: TestClient,
    headers: dict[str, str],
    token: str,
    amount: int = 12_000,
    *,
    key: str | None = None,
    receipt: str = "R-1",
    language: str = "en",
) -> Any:
    return client.post(
        "/api/v1/cashback/purchases",
        json={"card_token": token, "amount_agorot": amount, "receipt": receipt},
        headers={
            **headers,
            "Idempotency-Key": key or uuid.uuid4().hex,
            "Accept-Language": language,
        },
    )


def test_a_purchase_earns_cashback_held_for_the_return_window(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    now = clock.now()
    response = buy(client, auth_headers(app, shop.staff), shop.token(now), 12_000)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["cashback_agorot"] == 1_200
    assert body["amount_agorot"] == 12_000
    assert body["campaign"]["code"] == shop.campaign.code
    assert body["why"][0] == "The resident is eligible for “Resident cashback”."
    assert body["why"][1] == "10% of ₪120.00 under the campaign “Cash back”: ₪12.00."
    window = shop.settings.cashback_return_window_days
    assert body["why"][-1].startswith(f"Held for the {window}-day return window")
    assert body["available_at"].startswith((now + timedelta(days=window)).date().isoformat())
    balance = cashback_balance(session, shop.resident, now)
    assert (balance.available, balance.pending) == (0, 1_200)
    budget = campaigns.budget_of(session, shop.campaign, now=now)
    assert (budget.available, budget.reserved) == (1_000_000 - 1_200, 1_200)
    purchase = session.get(Purchase, uuid.UUID(body["purchase_id"]))
    assert purchase is not None
    assert purchase.decision_id is not None
    assert check_ledger(session).ok


def test_why_is_told_in_the_callers_language(
    shop: Shop, client: TestClient, app: FastAPI, clock: SetClock
) -> None:
    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), language="he")

    assert response.status_code == 201
    assert response.json()["why"][1] == "10% מ-120.00\u00a0₪ בקמפיין “קאשבק”: 12.00\u00a0₪."
    # The day it becomes available, as Hebrew writes a day (never 2027-12-02).
    available = datetime.fromisoformat(response.json()["available_at"])
    day = available.astimezone(ZoneInfo("Asia/Jerusalem")).date()
    assert response.json()["why"][-1].endswith(f"{day.day}.{day.month}.{day.year}.")


def test_the_same_key_and_body_gets_the_same_answer_and_writes_nothing_new(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers, token = auth_headers(app, shop.staff), shop.token(clock.now())
    first = buy(client, headers, token, key="till-1-0001")
    written = snapshot(session)

    again = buy(client, headers, token, key="till-1-0001")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert snapshot(session) == written


def test_the_same_key_with_another_body_is_refused(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers, token = auth_headers(app, shop.staff), shop.token(clock.now())
    buy(client, headers, token, 12_000, key="till-1-0002")
    written = snapshot(session)

    other = buy(client, headers, token, 13_000, key="till-1-0002")

    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_mismatch"
    assert snapshot(session) == written


def test_a_card_token_is_used_once(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers, token = auth_headers(app, shop.staff), shop.token(clock.now())
    assert buy(client, headers, token).status_code == 201
    written = snapshot(session)

    replayed = buy(client, headers, token)

    assert replayed.status_code == 409
    assert replayed.json()["error"] == "token_replayed"
    assert snapshot(session) == written


def test_a_refused_purchase_leaves_its_token_usable(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers, token = auth_headers(app, shop.staff), shop.token(clock.now())
    refused = buy(client, headers, token, 0)
    assert refused.json()["error"] == "amount_invalid"

    assert buy(client, headers, token, 5_000).status_code == 201


@pytest.mark.parametrize(
    ("amount", "problem"),
    [(0, "at least 1 agora"), (-100, "at least 1 agora"), (10**9 + 1, "at most")],
)
def test_an_amount_out_of_range_is_amount_invalid(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    clock: SetClock,
    amount: int,
    problem: str,
) -> None:
    written = snapshot(session)
    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), amount)

    assert response.status_code == 422
    assert response.json()["error"] == "amount_invalid"
    assert problem in response.json()["detail"]
    assert snapshot(session) == written


def test_below_the_campaigns_minimum_is_amount_invalid(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    make_campaign(session, now=clock.now(), min_purchase_agorot=5_000, budget=10_000)
    shop.campaign.ends_at = clock.now() - timedelta(minutes=1)  # only the new one runs
    session.flush()

    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 4_999)

    assert response.status_code == 422
    assert response.json()["error"] == "amount_invalid"
    assert "₪50.00" in response.json()["detail"]


BAD_BODIES: list[tuple[dict[str, Any] | str, str]] = [
    ({"amount_agorot": 100, "receipt": "R"}, "validation_error"),
    ({"card_token": "x", "amount_agorot": "100", "receipt": "R"}, "validation_error"),
    ({"card_token": "x", "amount_agorot": 1.5, "receipt": "R"}, "validation_error"),
    ({"card_token": "x", "amount_agorot": True, "receipt": "R"}, "validation_error"),
    ({"card_token": "x", "amount_agorot": 100, "receipt": ""}, "validation_error"),
    ({"card_token": "x", "amount_agorot": 100, "receipt": "R" * 65}, "validation_error"),
    ({"card_token": "x" * 4097, "amount_agorot": 100, "receipt": "R"}, "validation_error"),
    ({"card_token": "x", "amount_agorot": 100, "receipt": "R", "cashback": 9}, "validation_error"),
    ("not json at all", "validation_error"),
    ({"card_token": "not.a.token", "amount_agorot": 100, "receipt": "R"}, "card_invalid"),
    ({"card_token": "", "amount_agorot": 100, "receipt": "R"}, "validation_error"),
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    body: dict[str, Any] | str,
    code: str,
) -> None:
    written = snapshot(session)
    headers = {**auth_headers(app, shop.staff), "Idempotency-Key": "k-1"}
    if isinstance(body, str):
        response = client.post(
            "/api/v1/cashback/purchases",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
    else:
        response = client.post("/api/v1/cashback/purchases", json=body, headers=headers)

    assert 400 <= response.status_code < 500
    assert response.json()["error"] == code
    assert snapshot(session) == written


@pytest.mark.parametrize("key", [None, "", "a" * 201, "with space", "ünïcode".encode()])
def test_a_purchase_needs_a_proper_idempotency_key(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    clock: SetClock,
    key: str | bytes | None,
) -> None:
    written = snapshot(session)
    headers: dict[str, str | bytes] = {**auth_headers(app, shop.staff)}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = client.post(
        "/api/v1/cashback/purchases",
        json={"card_token": shop.token(clock.now()), "amount_agorot": 100, "receipt": "R"},
        headers=headers,
    )

    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_required"
    assert snapshot(session) == written


def test_an_expired_or_foreign_token_is_card_invalid(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    old = shop.token(clock.now() - timedelta(minutes=10))
    response = buy(client, headers, old)
    assert response.status_code == 422
    assert response.json()["error"] == "card_invalid"
    assert "expired" in response.json()["detail"]

    token = shop.token(clock.now())
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert buy(client, headers, forged).json()["error"] == "card_invalid"


def test_a_suspended_card_is_card_invalid(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    token = shop.token(clock.now())
    shop.resident.status = "suspended"
    session.flush()

    response = buy(client, auth_headers(app, shop.staff), token)

    assert response.json()["error"] == "card_invalid"
    detail = response.json()["detail"]
    assert any(words in detail for words in CARD_REFUSALS["card_suspended"].values()), detail


@pytest.mark.parametrize("status", [MerchantStatus.pending, MerchantStatus.suspended])
def test_a_business_not_approved_may_not_record_purchases(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    status: MerchantStatus,
) -> None:
    _merchant, staff = make_business(session, settings, now=clock.now(), status=status)
    written = snapshot(session)

    response = buy(client, auth_headers(app, staff), shop.token(clock.now()), language="he")

    assert response.status_code == 403
    assert response.json()["error"] == "merchant_not_approved"
    # The till reads where the business stands in its own words, never the status's code.
    assert status.value not in response.json()["detail"]
    assert ("ממתינה" if status is MerchantStatus.pending else "הושעה") in response.json()["detail"]
    assert snapshot(session) == written


def test_a_resident_the_programme_does_not_cover_is_not_eligible(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    teenager = card_holder(session, settings, date_of_birth=date(2014, 1, 1))
    written = snapshot(session)

    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now(), teenager))

    assert response.status_code == 422
    assert response.json()["error"] == "resident_not_eligible"
    assert snapshot(session) == written


def test_no_campaign_for_the_business_category_or_neighbourhood(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    shop.campaign.categories = ["books"]
    session.flush()
    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()))
    assert response.json()["error"] == "no_campaign"

    shop.campaign.categories = []
    shop.campaign.neighbourhoods = ["bat_galim"]
    session.flush()
    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()))
    assert response.json()["error"] == "no_campaign"

    shop.campaign.neighbourhoods = ["hadar"]
    shop.campaign.categories = [BusinessCategory.cafe.value]
    session.flush()
    assert buy(client, auth_headers(app, shop.staff), shop.token(clock.now())).status_code == 201


def test_a_budget_that_cannot_pay_refuses_with_budget_exhausted(
    shop: Shop, client: TestClient, app: FastAPI, session: Session, clock: SetClock
) -> None:
    shop.campaign.ends_at = clock.now()
    small = make_campaign(session, now=clock.now(), budget=1_500)
    session.flush()
    headers = auth_headers(app, shop.staff)
    assert buy(client, headers, shop.token(clock.now()), 10_000).json()["cashback_agorot"] == 1_000
    written = snapshot(session)

    refused = buy(client, headers, shop.token(clock.now()), 10_000)

    assert refused.status_code == 409
    assert refused.json()["error"] == "budget_exhausted"
    assert snapshot(session) == written
    budget = campaigns.budget_of(session, small, now=clock.now())
    assert (budget.available, budget.posted) == (500, 1_500)
    # A smaller purchase still fits what is left.
    assert buy(client, headers, shop.token(clock.now()), 5_000).json()["cashback_agorot"] == 500


def test_caps_per_purchase_per_month_and_per_day_at_a_business(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    shop.campaign.cap_per_purchase_agorot = 3_000
    shop.campaign.cap_per_resident_business_day_agorot = 4_000
    shop.campaign.cap_per_resident_month_agorot = 6_000
    session.flush()
    headers = auth_headers(app, shop.staff)

    first = buy(client, headers, shop.token(clock.now()), 50_000)
    assert first.json()["cashback_agorot"] == 3_000
    assert "Capped at ₪30.00 per purchase." in first.json()["why"]

    second = buy(client, headers, shop.token(clock.now()), 50_000)
    assert second.json()["cashback_agorot"] == 1_000
    assert (
        "Capped at the ₪10.00 left of today's cap at this business (₪40.00)."
        in (second.json()["why"])
    )

    refused = buy(client, headers, shop.token(clock.now()), 50_000)
    assert refused.status_code == 409
    assert refused.json()["error"] == "cap_reached"

    # Another business the same day: only the month's cap is left to bind.
    _other, other_staff = make_business(session, settings, now=clock.now(), house_number=30)
    third = buy(client, auth_headers(app, other_staff), shop.token(clock.now()), 50_000)
    assert third.json()["cashback_agorot"] == 2_000
    month = buy(client, auth_headers(app, other_staff), shop.token(clock.now()), 50_000)
    assert month.json()["error"] == "cap_reached"


def test_only_merchant_staff_record_purchases(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    from resident_card.accounts.models import Role
    from tests.factories import create_user

    loose = create_user(session, settings, role=Role.merchant)
    resident = create_user(session, settings, role=Role.resident)
    token = shop.token(clock.now())

    assert buy(client, auth_headers(app, loose), token).json()["error"] == "not_merchant_staff"
    assert buy(client, auth_headers(app, resident), token).status_code == 403
    assert buy(client, {}, token).status_code == 401


def test_another_business_sees_nothing_of_ours(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    ours = buy(client, auth_headers(app, shop.staff), shop.token(clock.now())).json()
    _other, stranger = make_business(session, settings, now=clock.now(), house_number=40)
    theirs = auth_headers(app, stranger)
    path = f"/api/v1/cashback/purchases/{ours['purchase_id']}"

    assert client.get(path, headers=theirs).status_code == 404
    refund = client.post(f"{path}/refunds", json={"amount_agorot": 100}, headers=theirs)
    assert refund.status_code == 404
    assert client.get("/api/v1/cashback/merchants/me/purchases", headers=theirs).json() == []
    mine = client.get(path, headers=auth_headers(app, shop.staff))
    assert mine.status_code == 200
    assert mine.json()["state"] == "held"


def test_the_resident_sees_the_cashback_in_the_wallet(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    from resident_card.accounts.models import Role
    from tests.factories import create_user

    user = create_user(session, settings, role=Role.resident)
    shop.resident.user_id = user.id
    session.flush()
    buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 12_000)

    held = client.get("/api/v1/cashback/me", headers=auth_headers(app, user)).json()
    assert (held["available_agorot"], held["pending_agorot"]) == (0, 1_200)
    assert held["purchases"][0]["business"] == "Café Hadar"
    assert held["purchases"][0]["state"] == "held"

    # Past its return window the cashback stays held while the wallet is only read: a GET writes
    # nothing. The worker's release (every few minutes) makes it spendable.
    clock.advance(days=settings.cashback_return_window_days, seconds=1)
    due = client.get("/api/v1/cashback/me", headers=auth_headers(app, user)).json()
    assert (due["available_agorot"], due["pending_agorot"]) == (0, 1_200)
    (released_run,) = worker_in(session, settings, clock, [RELEASE_HOLDS]).tick()
    assert released_run.counts["released"] == 1
    released = client.get("/api/v1/cashback/me", headers=auth_headers(app, user)).json()
    assert (released["available_agorot"], released["pending_agorot"]) == (1_200, 0)
    assert released["purchases"][0]["state"] == "available"
    card = client.get("/api/v1/cards/me", headers=auth_headers(app, user)).json()
    assert {"code": "cashback", "balance": 1_200, "unit": "ILS"}.items() <= next(
        line for line in card["benefits"] if line["code"] == "cashback"
    ).items()
    assert check_ledger(session).ok


def test_a_scan_at_the_till_names_the_cashback_programme(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    token = shop.token(clock.now())
    here = client.post(
        "/api/v1/cards/verify", json={"token": token}, headers=auth_headers(app, shop.staff)
    )
    _other, elsewhere = make_business(
        session, settings, now=clock.now(), category=BusinessCategory.books, house_number=70
    )
    shop.campaign.categories = [BusinessCategory.cafe.value]
    session.flush()
    there = client.post(
        "/api/v1/cards/verify", json={"token": token}, headers=auth_headers(app, elsewhere)
    )

    assert here.json()["programmes"] == ["cashback_resident"]
    assert there.json()["programmes"] == []
