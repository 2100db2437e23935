"""A campaign once it runs: a clerk changes its terms (later purchases get them, earlier ones keep
theirs), pauses and resumes it, and ends it early, the unspent budget going back to the city while
cashback already held settles as usual. Every action is audited and has its refusals."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.ledger.models import OwnerType, Transaction, Unit
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from cashback.models import Campaign, CardTokenUse, Flag, Purchase
from cashback.service import accounts, campaigns, flags, purchases, releases
from kernel.clock import SetClock
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from tests.cashback.conftest import Shop, card_holder, cashback_balance, count
from tests.cashback.test_purchases import buy
from tests.factories import auth_headers, create_user
from toshav.settings import ServiceSettings


@pytest.fixture
def admin(session: Session, settings: ServiceSettings, app: FastAPI) -> dict[str, str]:
    return auth_headers(app, create_user(session, settings, role=Role.admin))


def manage(
    client: TestClient, admin: dict[str, str], campaign: Campaign, action: str, reason: str = "why"
) -> Any:
    return client.post(
        f"/api/v1/admin/cashback/campaigns/{campaign.id}/{action}",
        json={"reason": reason},
        headers=admin,
    )


def change(client: TestClient, admin: dict[str, str], campaign: Campaign, **body: Any) -> Any:
    return client.patch(
        f"/api/v1/admin/cashback/campaigns/{campaign.id}",
        json={"reason": "council decision 7", **body},
        headers=admin,
    )


def audit_trail(session: Session, campaign: Campaign) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_id == str(campaign.id))
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )


def city_funding(session: Session, now: Any) -> int:
    account = get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose=accounts.FUNDING,
        unit=Unit.ILS,
        allow_negative=True,
    )
    return get_balance(session, account.id, now=now).posted


# --- changing the terms ----------------------------------------------------------------------------


def test_a_new_rate_applies_to_later_purchases_and_earlier_ones_keep_theirs(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    session: Session,
    clock: SetClock,
) -> None:
    till = auth_headers(app, shop.staff)
    token = shop.token(clock.now())
    before = buy(client, till, token, 12_000, key="before-the-change")
    assert before.json()["cashback_agorot"] == 1_200

    changed = change(
        client,
        admin,
        shop.campaign,
        rate_bp=500,
        cap_per_purchase_agorot=400,
        names={"he": "קאשבק חורף", "ar": "كاش باك الشتاء", "en": "Winter cash back"},
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["rate_bp"], changed.json()["names"]["en"]) == (500, "Winter cash back")
    after = buy(client, till, shop.token(clock.now()), 12_000)
    assert after.status_code == 201
    assert after.json()["cashback_agorot"] == 400  # 5% is ₪6.00, capped at ₪4.00
    assert after.json()["campaign"]["rate_bp"] == 500
    assert after.json()["why"][1] == "5% of ₪120.00 under the campaign “Winter cash back”: ₪6.00."
    # The earlier purchase keeps its terms, and a retry of it still gets the very same answer.
    shown = client.get(f"/api/v1/cashback/purchases/{before.json()['purchase_id']}", headers=till)
    assert (shown.json()["cashback_agorot"], shown.json()["campaign"]["rate_bp"]) == (1_200, 1000)
    assert buy(client, till, token, 12_000, key="before-the-change").json() == before.json()
    stored = session.get(Purchase, uuid.UUID(before.json()["purchase_id"]))
    assert stored is not None
    assert stored.rate_bp == 1000
    entry = audit_trail(session, shop.campaign)[-1]
    assert entry.action == "cashback.campaign.change"
    assert entry.reason == "council decision 7"
    assert entry.before == {
        "names": {"he": "קאשבק", "ar": "كاش باك", "en": "Cash back"},
        "rate_bp": 1000,
        "cap_per_purchase_agorot": None,
    }
    assert entry.after is not None
    assert (entry.after["rate_bp"], entry.after["cap_per_purchase_agorot"]) == (500, 400)


def test_a_cap_cleared_and_the_end_moved(
    shop: Shop, client: TestClient, admin: dict[str, str], clock: SetClock
) -> None:
    ends = (clock.now() + timedelta(days=30)).isoformat()
    capped = change(client, admin, shop.campaign, cap_per_resident_month_agorot=5_000, ends_at=ends)
    assert capped.json()["cap_per_resident_month_agorot"] == 5_000
    assert capped.json()["ends_at"] is not None

    cleared = change(client, admin, shop.campaign, cap_per_resident_month_agorot=None, ends_at=None)

    assert cleared.status_code == 200
    assert (cleared.json()["cap_per_resident_month_agorot"], cleared.json()["ends_at"]) == (
        None,
        None,
    )


def test_categories_and_neighbourhoods_decide_which_businesses_earn(
    shop: Shop, client: TestClient, app: FastAPI, admin: dict[str, str], clock: SetClock
) -> None:
    till = auth_headers(app, shop.staff)  # a café in Hadar

    assert change(client, admin, shop.campaign, categories=["books"]).status_code == 200
    assert buy(client, till, shop.token(clock.now())).json()["error"] == "no_campaign"
    assert change(client, admin, shop.campaign, categories=[]).status_code == 200
    assert change(client, admin, shop.campaign, neighbourhoods=["hadar"]).status_code == 200
    assert buy(client, till, shop.token(clock.now())).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "validation_error"),  # nothing to change
        ({"rate_bp": None}, 422, "validation_error"),
        ({"rate_bp": 0}, 422, "validation_error"),
        ({"rate_bp": True}, 422, "validation_error"),  # not 1 basis point
        ({"rate_bp": "100"}, 422, "validation_error"),
        ({"rate_bp": 100.0}, 422, "validation_error"),
        ({"cap_per_purchase_agorot": 1e3}, 422, "validation_error"),
        ({"code": "renamed"}, 422, "validation_error"),
        ({"starts_at": "2026-01-01T00:00:00+02:00"}, 422, "validation_error"),
        ({"budget_agorot": 1}, 422, "validation_error"),
        ({"neighbourhoods": ["atlantis"]}, 422, "invalid_campaign"),
        ({"ends_at": "2020-01-01T00:00:00+02:00"}, 422, "invalid_campaign"),
        ({"ends_at": "2099-01-01T00:00:00"}, 422, "validation_error"),  # no time zone
        ({"categories": ["casino"]}, 422, "validation_error"),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(
    shop: Shop,
    client: TestClient,
    admin: dict[str, str],
    session: Session,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    audits = count(session, AuditEntry)

    response = change(client, admin, shop.campaign, **body)

    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert count(session, AuditEntry) == audits
    session.expire_all()
    campaign = session.get(Campaign, shop.campaign.id)
    assert campaign is not None
    assert (campaign.rate_bp, campaign.neighbourhoods, campaign.ends_at) == (1000, [], None)


def test_only_clerks_manage_campaigns(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
) -> None:
    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))
    till = auth_headers(app, shop.staff)
    for headers in (auditor, till):
        assert change(client, headers, shop.campaign, rate_bp=1).status_code == 403
        for action in ("pause", "resume", "end"):
            assert manage(client, headers, shop.campaign, action).status_code == 403
    missing = client.post(
        f"/api/v1/admin/cashback/campaigns/{uuid.uuid4()}/pause",
        json={"reason": "x"},
        headers=auth_headers(app, create_user(session, settings, role=Role.admin)),
    )
    assert (missing.status_code, missing.json()["error"]) == (404, "campaign_not_found")


# --- pausing ---------------------------------------------------------------------------------------


def test_a_paused_campaign_refuses_purchases_until_it_is_resumed(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    session: Session,
    clock: SetClock,
) -> None:
    till = auth_headers(app, shop.staff)
    paused = manage(client, admin, shop.campaign, "pause", "suspected abuse at a till")
    assert paused.status_code == 200, paused.text
    assert (paused.json()["state"], paused.json()["running"]) == ("paused", False)
    written = (count(session, Purchase), count(session, CardTokenUse), count(session, Transaction))

    refused = buy(client, till, shop.token(clock.now()))

    assert refused.status_code == 409
    assert refused.json()["error"] == "campaign_paused"
    assert shop.campaign.code in refused.json()["detail"]
    assert (
        count(session, Purchase),
        count(session, CardTokenUse),
        count(session, Transaction),
    ) == written
    assert manage(client, admin, shop.campaign, "pause").json()["error"] == "campaign_paused"

    resumed = manage(client, admin, shop.campaign, "resume", "looked into: all fine")
    assert (resumed.status_code, resumed.json()["state"]) == (200, "running")
    assert buy(client, till, shop.token(clock.now())).status_code == 201
    not_paused = manage(client, admin, shop.campaign, "resume")
    assert (not_paused.status_code, not_paused.json()["error"]) == (409, "campaign_not_paused")
    actions = [(e.action, e.reason) for e in audit_trail(session, shop.campaign)]
    assert actions[-2:] == [
        ("cashback.campaign.pause", "suspected abuse at a till"),
        ("cashback.campaign.resume", "looked into: all fine"),
    ]


def test_a_paused_campaign_leaves_another_one_running_to_pay(
    shop: Shop, client: TestClient, app: FastAPI, admin: dict[str, str], clock: SetClock
) -> None:
    from tests.cashback.conftest import make_campaign

    other = make_campaign(shop.session, now=clock.now(), rate_bp=300)
    manage(client, admin, shop.campaign, "pause")

    bought = buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 10_000)

    assert bought.status_code == 201
    assert (bought.json()["campaign"]["code"], bought.json()["cashback_agorot"]) == (
        other.code,
        300,
    )


def test_held_cashback_of_a_paused_campaign_settles_as_usual(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    session: Session,
    clock: SetClock,
) -> None:
    buy(client, auth_headers(app, shop.staff), shop.token(clock.now()), 12_000)
    manage(client, admin, shop.campaign, "pause")

    clock.advance(days=shop.settings.cashback_return_window_days, minutes=1)
    releases.release_due_holds(session, now=clock.now())

    assert cashback_balance(session, shop.resident, clock.now()).available == 1_200
    assert check_ledger(session).ok


# --- ending early ----------------------------------------------------------------------------------


def test_ending_a_campaign_returns_its_unspent_budget_and_held_cashback_still_settles(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    session: Session,
    settings: ServiceSettings,
    clock: SetClock,
) -> None:
    till = auth_headers(app, shop.staff)
    kept = buy(client, till, shop.token(clock.now()), 12_000)  # ₪12.00 held
    returned_later = buy(client, till, shop.token(clock.now()), 5_000)  # ₪5.00 held
    funding_before = city_funding(session, clock.now())
    clock.advance(minutes=5)

    ended = manage(client, admin, shop.campaign, "end", "the council moved the money")

    assert ended.status_code == 200, ended.text
    body = ended.json()
    assert body["returned_agorot"] == 1_000_000 - 1_700
    assert body["campaign"]["state"] == "ended"
    assert body["campaign"]["ended_at"] is not None
    assert body["campaign"]["budget"] == {
        "available_agorot": 0,
        "held_agorot": 1_700,
        "posted_agorot": 1_700,
    }
    assert city_funding(session, clock.now()) == funding_before + 1_000_000 - 1_700
    entry = audit_trail(session, shop.campaign)[-1]
    assert (entry.action, entry.reason) == ("cashback.campaign.end", "the council moved the money")
    assert entry.after is not None
    assert entry.after["returned_agorot"] == 1_000_000 - 1_700

    # No more purchases, money or changes.
    refused = buy(client, till, shop.token(clock.now()))
    assert (refused.status_code, refused.json()["error"]) == (409, "campaign_ended")
    top_up = client.post(
        f"/api/v1/admin/cashback/campaigns/{shop.campaign.id}/top-ups",
        json={"amount_agorot": 100, "reason": "x", "idempotency_key": "late"},
        headers=admin,
    )
    assert (top_up.status_code, top_up.json()["error"]) == (409, "campaign_ended")
    for action in ("pause", "resume", "end"):
        assert manage(client, admin, shop.campaign, action).json()["error"] == "campaign_ended"
    assert change(client, admin, shop.campaign, rate_bp=5).json()["error"] == "campaign_ended"

    # A refund inside the return window gives its cashback back to the (ended) budget; the
    # release command sends it on to the city.
    refund = client.post(
        f"/api/v1/cashback/purchases/{returned_later.json()['purchase_id']}/refunds",
        json={"amount_agorot": 5_000},
        headers={**till, "Idempotency-Key": "r-1"},
    )
    assert refund.status_code == 201, refund.text
    assert campaigns.budget_of(session, shop.campaign, now=clock.now()).available == 500
    assert campaigns.ended_campaigns_with_budget(session, now=clock.now()) == [shop.campaign.id]
    assert campaigns.return_unspent_budgets(session, shop.campaign.id, now=clock.now()) == 500
    assert campaigns.ended_campaigns_with_budget(session, now=clock.now()) == []

    # The held cashback becomes the resident's when its window is over.
    clock.advance(days=settings.cashback_return_window_days, minutes=1)
    releases.release_due_holds(session, now=clock.now())
    assert cashback_balance(session, shop.resident, clock.now()).available == 1_200
    budget = campaigns.budget_of(session, shop.campaign, now=clock.now())
    assert (budget.posted, budget.reserved) == (0, 0)
    shown = client.get(f"/api/v1/admin/cashback/campaigns/{shop.campaign.id}", headers=admin)
    assert shown.json()["returned_agorot"] == 1_000_000 - 1_700 + 500
    assert kept.status_code == 201
    assert check_ledger(session).ok


def test_a_campaign_ended_with_nothing_spent_returns_all_of_it(
    shop: Shop, client: TestClient, admin: dict[str, str], session: Session, clock: SetClock
) -> None:
    ended = manage(client, admin, shop.campaign, "end")

    assert ended.json()["returned_agorot"] == 1_000_000
    assert campaigns.budget_of(session, shop.campaign, now=clock.now()).posted == 0
    assert check_ledger(session).ok


# --- fraud thresholds are the city's settings ------------------------------------------------------


def test_a_lower_velocity_threshold_flags_what_the_default_lets_pass(
    shop: Shop, session: Session, settings: ServiceSettings, clock: SetClock
) -> None:
    from tests.cashback.conftest import make_business

    def three_purchases(at_settings: ServiceSettings, resident_offset: int) -> list[str]:
        resident = card_holder(session, settings)
        flags: list[str] = []
        for index in range(3):
            _merchant, staff = make_business(
                session, settings, now=clock.now(), house_number=40 + resident_offset + index
            )
            answer = purchases.record_purchase(
                session,
                at_settings,
                staff_user_id=staff.id,
                idempotency_key=uuid.uuid4().hex,
                card_token=shop.token(clock.now(), resident),
                amount_agorot=1_234,
                receipt="R",
                now=clock.now(),
            )
            flags += list(
                session.scalars(select(Flag.signal).where(Flag.purchase_id == answer.purchase.id))
            )
            clock.advance(minutes=1)
        return flags

    assert settings.cashback_resident_purchases_per_hour == 5
    assert three_purchases(settings, 0) == []
    stricter = settings.model_copy(update={"cashback_resident_purchases_per_hour": 2})
    assert three_purchases(stricter, 10) == ["resident_velocity"]


def test_thresholds_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOSHAV_CASHBACK_REPEATS_PER_DAY", "9")
    monkeypatch.setenv("TOSHAV_CASHBACK_ROUND_AMOUNT_FROM_AGOROT", "50000")
    monkeypatch.setenv("TOSHAV_CASHBACK_OUTLIER_DEVIATIONS", "2.5")

    thresholds = flags.fraud_thresholds(ServiceSettings())

    assert (thresholds.repeats_per_day, thresholds.round_amount_from_agorot) == (9, 50_000)
    assert thresholds.outlier_deviations == 2.5
    assert thresholds.resident_purchases_per_hour == 5  # the default
