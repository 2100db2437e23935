"""Races on PostgreSQL: real threads, each with its own session and connection, real commits."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.ledger.models import Account, Transaction
from benefits.ledger.service import balances
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from benefits.ledger.service.holds import capture_hold, create_hold, release_hold
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction, reverse_transaction
from kernel.errors import ToshavError
from resident_card.accounts.models import Role
from tests.benefits.conftest import fund, new_key, resident_account
from tests.conftest import FreshDatabase, LiveServer
from tests.factories import auth_headers, create_user

pytestmark = pytest.mark.postgres_only

T = TypeVar("T")


def race(database: FreshDatabase, count: int, work: Callable[[Session, int], T]) -> list[T | str]:
    """Run ``work`` in ``count`` threads released together; each commits, or rolls back and
    answers with the error code it met."""
    barrier = threading.Barrier(count)

    def one(index: int) -> T | str:
        with database.session() as session:
            session.connection()  # connect before the start line, so all begin together
            barrier.wait()
            try:
                result = work(session, index)
                session.commit()
                return result
            except ToshavError as exc:
                session.rollback()
                return exc.code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def assert_sound(database: FreshDatabase) -> None:
    with database.session() as session:
        result = check_ledger(session)
        assert result.violation is None, result.violation


def test_fifty_debits_against_a_balance_for_ten(fresh_database: FreshDatabase) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 100, now=now)
        session.commit()

    def debit(session: Session, index: int) -> uuid.UUID:
        return post_transaction(
            session,
            idempotency_key=f"debit-{index}",
            kind="parking",
            postings=[PostingInput(payer.id, -10), PostingInput(payee.id, 10)],
            now=now,
        ).id

    outcomes = race(fresh_database, 50, debit)
    codes = Counter(o if isinstance(o, str) else "posted" for o in outcomes)
    assert codes == {"posted": 10, "insufficient_balance": 40}
    with fresh_database.session() as session:
        assert get_balance(session, payer.id, now=now).available == 0
        assert get_balance(session, payee.id, now=now).available == 100
        statement = balances.statement(session, payer.id, limit=20)
        assert [e.balance_after for e in statement.entries] == [*range(0, 100, 10), 100]
    assert_sound(fresh_database)


def test_twenty_posts_with_one_key_make_one_transaction(fresh_database: FreshDatabase) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 7, now=now)  # the first takes it all; the rest still get its answer
        session.commit()

    def post(session: Session, _index: int) -> uuid.UUID:
        return post_transaction(
            session,
            idempotency_key="purchase:one",
            kind="cashback",
            postings=[PostingInput(payer.id, -7), PostingInput(payee.id, 7)],
            now=now,
        ).id

    outcomes = race(fresh_database, 20, post)
    assert len(set(outcomes)) == 1
    assert isinstance(outcomes[0], uuid.UUID)
    with fresh_database.session() as session:
        keyed = select(func.count()).where(Transaction.idempotency_key == "purchase:one")
        assert session.scalar(keyed) == 1
        assert get_balance(session, payer.id, now=now).available == 0
    assert_sound(fresh_database)


def test_ten_holds_with_one_key_make_one_hold(fresh_database: FreshDatabase) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 25, now=now)
        session.commit()

    def hold(session: Session, _index: int) -> uuid.UUID:
        return create_hold(
            session,
            idempotency_key="session:one",
            kind="parking",
            postings=[PostingInput(payer.id, -25), PostingInput(payee.id, 25)],
            expires_at=now + timedelta(hours=1),
            now=now,
        ).id

    outcomes = race(fresh_database, 10, hold)
    assert len(set(outcomes)) == 1
    assert isinstance(outcomes[0], uuid.UUID)
    with fresh_database.session() as session:
        balance = get_balance(session, payer.id, now=now)
        assert (balance.available, balance.reserved) == (0, 25)
    assert_sound(fresh_database)


def test_one_key_with_different_content_concurrently(fresh_database: FreshDatabase) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 100, now=now)
        session.commit()

    def post(session: Session, index: int) -> uuid.UUID:
        return post_transaction(
            session,
            idempotency_key="contested",
            kind="cashback",
            postings=[
                PostingInput(payer.id, -(1 + index % 2)),
                PostingInput(payee.id, 1 + index % 2),
            ],
            now=now,
        ).id

    outcomes = race(fresh_database, 10, post)
    posted = {o for o in outcomes if not isinstance(o, str)}
    assert len(posted) == 1
    assert set(outcomes) - posted == {"idempotency_mismatch"}
    assert_sound(fresh_database)


def test_concurrent_account_creation_makes_one_account(fresh_database: FreshDatabase) -> None:
    owner = uuid.uuid4()

    def make(session: Session, index: int) -> uuid.UUID:
        if index % 2:
            return get_or_create_account(
                session,
                owner_type="city",
                owner_id=None,
                purpose="budget",
                unit="ILS",
                allow_negative=True,
            ).id
        return resident_account(session, owner_id=owner).id

    outcomes = race(fresh_database, 20, make)
    assert len(set(outcomes)) == 2
    with fresh_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 2


def test_concurrent_reversals_reverse_once(fresh_database: FreshDatabase) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 100, now=now)
        original = post_transaction(
            session,
            idempotency_key=new_key(),
            kind="parking",
            postings=[PostingInput(payer.id, -40), PostingInput(payee.id, 40)],
            now=now,
        )
        session.commit()

    def reverse(session: Session, index: int) -> uuid.UUID:
        return reverse_transaction(
            session, original.id, idempotency_key=f"undo-{index}", reason="race", now=now
        ).id

    outcomes = race(fresh_database, 12, reverse)
    codes = Counter(o if isinstance(o, str) else "reversed" for o in outcomes)
    assert codes == {"reversed": 1, "already_reversed": 11}
    with fresh_database.session() as session:
        assert get_balance(session, payer.id, now=now).available == 100
    assert_sound(fresh_database)


def test_concurrent_captures_and_releases_of_one_hold(fresh_database: FreshDatabase) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 100, now=now)
        hold = create_hold(
            session,
            idempotency_key=new_key(),
            kind="parking",
            postings=[PostingInput(payer.id, -60), PostingInput(payee.id, 60)],
            expires_at=now + timedelta(hours=1),
            now=now,
        )
        session.commit()

    def settle(session: Session, index: int) -> str:
        if index % 2:
            release_hold(session, hold.id, now=now)
            return "released"
        capture_hold(session, hold.id, now=now)
        return "captured"

    outcomes = Counter(race(fresh_database, 16, settle))
    assert sum(outcomes[won] for won in ("captured", "released")) == 1
    with fresh_database.session() as session:
        paid = get_balance(session, payer.id, now=now)
        assert paid.reserved == 0
        assert paid.available in (40, 100)
    assert_sound(fresh_database)


def test_concurrent_holds_never_reserve_more_than_there_is(
    fresh_database: FreshDatabase,
) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 50, now=now)
        session.commit()

    def hold_or_spend(session: Session, index: int) -> str:
        postings = [PostingInput(payer.id, -10), PostingInput(payee.id, 10)]
        if index % 2:
            create_hold(
                session,
                idempotency_key=f"h-{index}",
                kind="parking",
                postings=postings,
                expires_at=now + timedelta(hours=1),
                now=now,
            )
            return "held"
        post_transaction(
            session, idempotency_key=f"p-{index}", kind="parking", postings=postings, now=now
        )
        return "posted"

    outcomes = Counter(race(fresh_database, 30, hold_or_spend))
    assert outcomes["held"] + outcomes["posted"] == 5
    assert outcomes["insufficient_balance"] == 25
    with fresh_database.session() as session:
        balance = get_balance(session, payer.id, now=now)
        assert balance.available == 0
        assert balance.reserved == 10 * outcomes["held"]
    assert_sound(fresh_database)


def test_concurrent_adjustments_over_http(live_server: LiveServer) -> None:
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        admin = create_user(session, database.settings, role=Role.admin)
        account = resident_account(session)
        fund(session, account, 100, now=now)
        session.commit()
    headers = {**auth_headers(live_server.app, admin), "Accept-Language": "en"}

    def adjust(key: str) -> httpx.Response:
        with httpx.Client(base_url=live_server.base_url, headers=headers, timeout=30) as client:
            return client.post(
                "/api/v1/admin/ledger/adjustments",
                json={
                    "account_id": str(account.id),
                    "amount": -10,
                    "reason": "race",
                    "idempotency_key": key,
                },
            )

    keys = [f"adj-{i}" for i in range(24)] + ["adj-same"] * 8
    with ThreadPoolExecutor(max_workers=len(keys)) as pool:
        responses = list(pool.map(adjust, keys))
    statuses = Counter(r.status_code for r in responses)
    errors = {r.json()["error"] for r in responses if r.status_code >= 400}
    assert statuses[201] == 10, statuses
    assert errors == {"insufficient_balance"}
    same = [r for key, r in zip(keys, responses, strict=True) if key == "adj-same"]
    if same[0].status_code < 400:  # the shared key won a place: one transaction for all eight
        assert len({r.json()["id"] for r in same}) == 1
        assert sorted(r.status_code for r in same) == [200] * 7 + [201]
    with database.session() as session:
        assert get_balance(session, account.id, now=now).available == 0
    assert_sound(database)
