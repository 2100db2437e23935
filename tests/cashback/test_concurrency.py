"""Races over HTTP on PostgreSQL: many tills at once against one budget, one idempotency key, one
card token and one purchase's refunds. The ledger checks clean after each."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from benefits.ledger.models import Hold
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from cashback.models import CardTokenUse, Purchase
from cashback.service import accounts, campaigns, purchases
from resident_card.accounts.models import Role, User
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from tests.cashback.conftest import (
    card_holder,
    card_token,
    make_business,
    make_campaign,
    prepare_city,
)
from tests.conftest import LiveServer
from tests.factories import auth_headers, create_user
from toshav.cli import main
from toshav.settings import get_settings

pytestmark = pytest.mark.postgres_only

THREADS = 32


@dataclass
class Till:
    server: LiveServer
    staff: User
    campaign_id: uuid.UUID
    residents: list[Resident]
    keyring: Keyring

    @property
    def headers(self) -> dict[str, str]:
        return {**auth_headers(self.server.app, self.staff), "Accept-Language": "en"}

    def tokens(self, count: int) -> list[str]:
        """Fresh card tokens, spread over the residents, each good for an hour."""
        database = self.server.database
        long_lived = database.settings.model_copy(update={"card_token_ttl_seconds": 3600})
        now = datetime.now(UTC)
        with database.session() as session:
            tokens = [
                card_token(
                    session, long_lived, self.keyring, self.residents[i % len(self.residents)], now
                )
                for i in range(count)
            ]
            session.commit()
        return tokens


def open_till(live_server: LiveServer, *, budget: int, residents: int = 10) -> Till:
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        prepare_city(session, database.settings, now)
        _merchant, staff = make_business(session, database.settings, now=now)
        campaign = make_campaign(session, now=now, budget=budget)
        people = [
            card_holder(session, database.settings, now=now - timedelta(days=1))
            for _ in range(residents)
        ]
        session.commit()
    return Till(live_server, staff, campaign.id, people, Keyring(database.settings))


def race(count: int, send: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """``count`` requests from up to THREADS clients, released together."""
    workers = min(count, THREADS)
    barrier = threading.Barrier(workers)
    local = threading.local()

    def one(index: int) -> httpx.Response:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=60)
            barrier.wait()
        return send(client, index)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(count)))


def purchase(
    till: Till, client: httpx.Client, token: str, key: str, amount: int = 10_000
) -> httpx.Response:
    return client.post(
        f"{till.server.base_url}/api/v1/cashback/purchases",
        json={"card_token": token, "amount_agorot": amount, "receipt": key},
        headers={**till.headers, "Idempotency-Key": key},
    )


def codes(responses: list[httpx.Response]) -> Counter[str]:
    return Counter(
        "created" if r.status_code == 201 else f"{r.status_code} {r.json()['error']}"
        for r in responses
    )


def assert_sound(live_server: LiveServer) -> None:
    with live_server.database.session() as session:
        result = check_ledger(session)
        assert result.violation is None, result.violation


def count_of(live_server: LiveServer, model: type[Any]) -> int:
    with live_server.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_budget_for_37_purchases_against_100_tills(live_server: LiveServer) -> None:
    till = open_till(live_server, budget=37 * 1_000)
    tokens = till.tokens(100)

    responses = race(100, lambda client, i: purchase(till, client, tokens[i], f"buy-{i}"))

    assert codes(responses) == {"created": 37, "409 budget_exhausted": 63}
    assert all(r.json()["cashback_agorot"] == 1_000 for r in responses if r.status_code == 201)
    with live_server.database.session() as session:
        campaign = campaigns.get_campaign(session, till.campaign_id)
        budget = campaigns.budget_of(session, campaign, now=datetime.now(UTC))
        assert (budget.posted, budget.reserved, budget.available) == (37_000, 37_000, 0)
        held = session.scalars(
            select(Hold).where(Hold.reference.like("purchase:%"), Hold.status == "pending")
        ).all()
        assert len(held) == 37
    assert count_of(live_server, Purchase) == 37
    assert count_of(live_server, CardTokenUse) == 37  # the refused ones left theirs unused
    assert_sound(live_server)


def test_one_idempotency_key_from_20_clients_makes_one_purchase(live_server: LiveServer) -> None:
    till = open_till(live_server, budget=100_000)
    [token] = till.tokens(1)

    responses = race(20, lambda client, _i: purchase(till, client, token, "same-key-for-all"))

    assert codes(responses) == {"created": 20}
    assert len({r.json()["purchase_id"] for r in responses}) == 1
    assert len({r.text for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19
    assert count_of(live_server, Purchase) == 1
    assert count_of(live_server, CardTokenUse) == 1
    assert count_of(live_server, Hold) == 1
    assert_sound(live_server)


def test_one_card_token_replayed_by_20_clients_makes_one_purchase(live_server: LiveServer) -> None:
    till = open_till(live_server, budget=100_000)
    [token] = till.tokens(1)

    responses = race(20, lambda client, i: purchase(till, client, token, f"replay-{i}"))

    assert codes(responses) == {"created": 1, "409 token_replayed": 19}
    assert count_of(live_server, Purchase) == 1
    assert count_of(live_server, Hold) == 1
    assert_sound(live_server)


def test_refunds_racing_on_one_purchase_never_refund_more_than_it(live_server: LiveServer) -> None:
    till = open_till(live_server, budget=100_000, residents=1)
    [token] = till.tokens(1)
    with httpx.Client(timeout=60) as client:
        bought = purchase(till, client, token, "to-refund", amount=10_000).json()
    path = f"{live_server.base_url}/api/v1/cashback/purchases/{bought['purchase_id']}/refunds"

    responses = race(
        20,
        lambda client, _i: client.post(path, json={"amount_agorot": 3_000}, headers=till.headers),
    )

    assert codes(responses) == {"created": 3, "422 refund_too_large": 17}
    with live_server.database.session() as session:
        stored = session.get(Purchase, uuid.UUID(bought["purchase_id"]))
        assert stored is not None
        assert (stored.refunded_agorot, stored.cashback_returned_agorot) == (9_000, 900)
        balance = get_balance(
            session,
            accounts.lock_wallet(session, till.residents[0].id).cashback_account_id,
            now=datetime.now(UTC),
        )
        assert balance.pending == 100
    assert_sound(live_server)


def test_releases_purchases_and_redemptions_at_once_never_deadlock(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The release command (one resident per commit) runs while residents whose cashback just came
    due pay with it (each request releases their own first) and others buy at the same budget."""
    database = live_server.database
    settings = database.settings
    then = datetime.now(UTC) - timedelta(days=settings.cashback_return_window_days + 1)
    with database.session() as session:
        prepare_city(session, settings, then)
        _merchant, staff = make_business(session, settings, now=then)
        make_campaign(session, now=then, budget=1_000_000)
        due = [card_holder(session, settings, now=then - timedelta(days=1)) for _ in range(20)]
        buyers = [card_holder(session, settings, now=then - timedelta(days=1)) for _ in range(10)]
        session.commit()
    keyring = Keyring(settings)
    for index, resident in enumerate(due):
        with database.session() as session:
            purchases.record_purchase(
                session,
                settings,
                staff_user_id=staff.id,
                idempotency_key=f"old-{index}",
                card_token=card_token(session, settings, keyring, resident, then),
                amount_agorot=10_000,
                receipt="old",
                now=then,
            )
            session.commit()
    till = Till(live_server, staff, uuid.uuid4(), [*due, *buyers], keyring)
    tokens = till.tokens(len(due) + 3 * len(buyers))
    pays, buys = tokens[: len(due)], tokens[len(due) :]
    monkeypatch.setenv("TOSHAV_DATABASE_URL", database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    released: list[str] = []
    command = threading.Thread(
        target=lambda: released.append(
            CliRunner().invoke(main, ["cashback", "release-holds", "--lang", "en"]).output
        )
    )

    def send(client: httpx.Client, index: int) -> httpx.Response:
        if index == 0:
            command.start()
        if index < len(pays):
            return client.post(
                f"{live_server.base_url}/api/v1/cashback/redemptions",
                json={"card_token": pays[index], "amount_agorot": 1_000},
                headers={**till.headers, "Idempotency-Key": f"pay-{index}"},
            )
        return purchase(till, client, buys[index - len(pays)], f"buy-{index}")

    try:
        responses = race(len(pays) + len(buys), send)
        command.join(timeout=120)
    finally:
        get_settings.cache_clear()

    assert codes(responses) == {"created": 50}, [r.text for r in responses if r.status_code != 201]
    assert released
    assert "Released" in released[0]
    with live_server.database.session() as session:
        old = session.scalars(select(Purchase).where(Purchase.receipt == "old")).all()
        assert len(old) == 20
        assert all(p.released_at is not None for p in old)
        assert (
            session.scalar(select(func.count()).select_from(Hold).where(Hold.status == "captured"))
            == 20
        )
    assert_sound(live_server)


def test_ending_a_campaign_while_40_tills_buy(live_server: LiveServer) -> None:
    """Purchases racing a clerk's end: each is credited in full or refused, the city gets back
    exactly what was not held, and nothing is lost or made."""
    funded = 100 * 1_000
    till = open_till(live_server, budget=funded)
    tokens = till.tokens(41)  # one each for the 40 tills (the clerk's turn, 20, leaves one)
    with live_server.database.session() as session:
        admin = create_user(session, live_server.database.settings, role=Role.admin)
        session.commit()
    end_headers = auth_headers(till.server.app, admin)

    def send(client: httpx.Client, index: int) -> httpx.Response:
        if index == 20:
            time.sleep(0.15)  # a few purchases first, so some are on their way when it ends
            return client.post(
                f"{till.server.base_url}/api/v1/admin/cashback/campaigns/{till.campaign_id}/end",
                json={"reason": "race"},
                headers=end_headers,
            )
        return purchase(till, client, tokens[index], f"end-race-{index}")

    responses = race(41, send)

    ended = responses[20]
    assert ended.status_code == 200, ended.text
    bought = [r for i, r in enumerate(responses) if i != 20]
    answers = codes(bought)
    # Money was never short: a purchase refused was refused because the campaign had ended.
    assert set(answers) <= {"created", "409 campaign_ended"}, answers
    created = answers["created"]
    with live_server.database.session() as session:
        campaign = campaigns.get_campaign(session, till.campaign_id)
        budget = campaigns.budget_of(session, campaign, now=datetime.now(UTC))
        assert (budget.posted, budget.reserved, budget.available) == (
            created * 1_000,
            created * 1_000,
            0,
        )
        assert campaign.returned_agorot == funded - created * 1_000
    assert count_of(live_server, Purchase) == created
    assert_sound(live_server)
