"""Cashback tells people: the resident their cashback credited and, after the return window,
spendable; a business's staff that it was approved; a campaign's businesses that its budget is
nearly spent, once as it falls below the threshold; a refused request tells no one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cashback.manifest import MANIFEST
from cashback.models import BusinessCategory, MerchantStatus
from cashback.service import releases
from kernel.clock import SetClock
from kernel.i18n import LANGUAGES
from kernel.notices import Category, Notice
from kernel.schedule import Job, JobContext
from resident_card.accounts.models import Role, User
from tests.cashback.conftest import Shop, make_business, make_campaign
from tests.cashback.test_purchases import buy
from tests.factories import auth_headers, create_user
from toshav.settings import ServiceSettings


def _assert_texts(notice: Notice, *details: str) -> None:
    for language in LANGUAGES:
        assert notice.title[language].strip()
        assert notice.body[language].strip()
        for detail in details:
            assert detail in notice.body[language], (language, notice.body[language])


@pytest.fixture
def buyer(shop: Shop, session: Session, settings: ServiceSettings) -> User:
    """The shop's resident, with an account of their own to be told on."""
    user = create_user(session, settings, role=Role.resident)
    shop.resident.user_id = user.id
    session.flush()
    return user


def test_a_purchase_tells_the_resident_the_cashback_and_when_it_can_be_spent(
    shop: Shop,
    buyer: User,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    response = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 12_000)

    assert response.status_code == 201, response.text
    [notice] = notices_posted
    assert (notice.account_id, notice.category, notice.link) == (
        buyer.id,
        Category.cashback,
        "/wallet#balances",
    )
    day = datetime.fromisoformat(response.json()["available_at"]).astimezone(
        ZoneInfo(shop.settings.city_time_zone)
    )
    _assert_texts(notice, "₪12.00", "₪120.00", "Café Hadar", day.strftime("%d.%m.%Y"))
    assert notice.title["en"] == "Cashback credited"


def test_cashback_that_becomes_spendable_tells_the_resident_once(
    shop: Shop,
    buyer: User,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    assert buy(client, auth_headers(app, shop.staff), shop.token(clock.now())).status_code == 201
    notices_posted.clear()
    clock.advance(days=settings.cashback_return_window_days, seconds=1)

    # Reading the wallet writes nothing; the worker's release job makes it spendable, and tells.
    assert client.get("/api/v1/cashback/me", headers=auth_headers(app, buyer)).status_code == 200
    assert notices_posted == []
    assert _release_job(session, settings, clock)["released"] == 1
    assert _release_job(session, settings, clock)["released"] == 0

    [notice] = notices_posted
    assert (notice.account_id, notice.category, notice.link) == (
        buyer.id,
        Category.cashback,
        "/wallet#balances",
    )
    _assert_texts(notice, "₪12.00", "Café Hadar")
    assert notice.title["en"] == "Cashback ready to spend"


def _release_job(session: Session, settings: ServiceSettings, clock: SetClock) -> dict[str, int]:
    job = next(j for j in MANIFEST.jobs if j.name == "cashback.release_holds")
    assert isinstance(job, Job)
    key, start = job.cadence.period(clock.now())
    context = JobContext(
        settings=settings,
        now=clock.now(),
        period_key=key,
        period_start=start,
        transactions=lambda work: work(session),
    )
    return dict(job.run(context))


def test_the_release_command_tells_each_resident(
    shop: Shop,
    buyer: User,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    headers = auth_headers(app, shop.staff)
    assert buy(client, headers, shop.token(clock.now()), 10_000).status_code == 201
    assert buy(client, headers, shop.token(clock.now()), 5_000).status_code == 201
    notices_posted.clear()
    clock.advance(days=settings.cashback_return_window_days, seconds=1)

    assert releases.release_due_holds(session, now=clock.now()).released == 2

    assert sorted(n.body["en"].split(" cashback")[0] for n in notices_posted) == [
        "The ₪10.00",
        "The ₪5.00",
    ]
    assert {n.account_id for n in notices_posted} == {buyer.id}


def test_a_refused_purchase_tells_no_one(
    shop: Shop,
    buyer: User,
    client: TestClient,
    app: FastAPI,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    headers = auth_headers(app, shop.staff)
    token = shop.token(clock.now())

    assert buy(client, headers, token, 0).status_code == 422
    assert buy(client, headers, "not-a-token").status_code in {401, 422}
    assert buy(client, auth_headers(app, buyer), token).status_code == 403

    assert notices_posted == []


@pytest.mark.usefixtures("shop")
def test_approving_a_business_tells_its_staff(
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    merchant, staff = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.pending, name="Falafel Hanevi'im"
    )
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    base = f"/api/v1/admin/cashback/merchants/{merchant.id}"
    blank = client.post(f"{base}/approve", json={"reason": " "}, headers=admin)
    by_staff = client.post(
        f"{base}/approve", json={"reason": "me"}, headers=auth_headers(app, staff)
    )
    assert (blank.status_code, by_staff.status_code) == (422, 403)
    assert notices_posted == []

    approved = client.post(f"{base}/approve", json={"reason": "papers checked"}, headers=admin)

    assert approved.status_code == 200, approved.text
    [notice] = notices_posted
    assert (notice.account_id, notice.category, notice.link) == (
        staff.id,
        Category.business,
        "/till",
    )
    _assert_texts(notice, "Falafel Hanevi'im")
    assert notice.title["en"] == "Business approved"
    wrong = client.post(f"{base}/approve", json={"reason": "again"}, headers=admin)
    assert wrong.status_code == 409
    assert len(notices_posted) == 1


def test_a_rejected_business_is_not_told_it_was_approved(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    merchant, _staff = make_business(
        session, settings, now=clock.now(), status=MerchantStatus.pending
    )
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))

    rejected = client.post(
        f"/api/v1/admin/cashback/merchants/{merchant.id}/reject",
        json={"reason": "not in the city"},
        headers=admin,
    )

    assert rejected.status_code == 200, rejected.text
    assert notices_posted == []


def test_a_campaign_nearly_spent_tells_its_businesses_once_per_top_up(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    assert settings.cashback_budget_low_percent == 10
    shop.campaign.ends_at = clock.now()  # the shop's big campaign is over: the small one pays
    small = make_campaign(
        session, now=clock.now(), budget=10_000, categories=(BusinessCategory.cafe,)
    )
    _other_cafe, other_staff = make_business(
        session, settings, now=clock.now(), house_number=30, name="Café Carmel"
    )
    _pharmacy, pharmacy_staff = make_business(
        session, settings, now=clock.now(), category=BusinessCategory.pharmacy, name="Pharma"
    )
    session.flush()
    headers = auth_headers(app, shop.staff)
    notices_posted.clear()

    def spend(amount: int) -> list[Notice]:
        before = len(notices_posted)
        response = buy(client, headers, shop.token(clock.now()), amount)
        assert response.status_code == 201, response.text
        assert response.json()["campaign"]["code"] == small.code
        return [n for n in notices_posted[before:] if n.category == Category.business]

    assert spend(50_000) == []  # ₪50 of ₪100 left
    assert spend(40_000) == []  # ₪10 left: 10%, not below it
    told = spend(1_000)  # ₪9 left: below 10%
    # ₪8 left: told again under the same key at most, which each inbox keeps once.
    assert {n.key for n in spend(1_000)} <= {f"cashback.budget_low:{small.id}:1"}

    assert sorted(n.account_id for n in told) == sorted([shop.staff.id, other_staff.id])
    assert pharmacy_staff.id not in {n.account_id for n in told}
    for notice in told:
        assert (notice.category, notice.link) == (Category.business, "/till")
        assert notice.key == f"cashback.budget_low:{small.id}:1"
        _assert_texts(notice, "₪9.00", "₪100.00")
        for language in LANGUAGES:
            assert small.names[language] in notice.body[language]
    assert told[0].title["en"] == "Campaign budget nearly spent"

    # A top-up lifts the budget above the threshold; falling below it again tells them again.
    admin = auth_headers(app, create_user(session, settings, role=Role.admin))
    topped = client.post(
        f"/api/v1/admin/cashback/campaigns/{small.id}/top-ups",
        json={"amount_agorot": 10_000, "reason": "more", "idempotency_key": uuid.uuid4().hex},
        headers=admin,
    )
    assert topped.status_code in {200, 201}, topped.text
    assert {n.key for n in notices_posted if n.category == Category.business} == {
        f"cashback.budget_low:{small.id}:1"
    }
    assert spend(80_000) == []  # ₪10.80 of ₪200 left
    again = spend(10_000)  # ₪0.80 left
    assert {n.key for n in again} == {f"cashback.budget_low:{small.id}:2"}
    assert len(again) == 2
    # Each business's inbox holds one notice per fall below the threshold.
    inbox = client.get(
        "/api/v1/messages/me", headers={**auth_headers(app, other_staff), "Accept-Language": "en"}
    ).json()["items"]
    assert [m["title"] for m in inbox if m["category"] == "business"] == [
        "Campaign budget nearly spent",
        "Campaign budget nearly spent",
        "Business approved",
    ]


def test_no_notice_when_the_share_is_zero(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
    notices_posted: list[Notice],
) -> None:
    from cashback import notices as cashback_notices

    off = settings.model_copy(update={"cashback_budget_low_percent": 0})
    cashback_notices.budget_spent(session, off, shop.campaign, 1_000_000)
    on: Any = settings
    cashback_notices.budget_spent(session, on, shop.campaign, 1)  # far above the threshold
    assert notices_posted == []
