"""Group commit, on SQLite and PostgreSQL: a batch of standalone transactions posted in one
database transaction, each answered on its own; and the batcher under concurrent callers."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from benefits.ledger.exceptions import (
    AccountNotFound,
    IdempotencyMismatch,
    InsufficientBalance,
    UnbalancedTransaction,
)
from benefits.ledger.models import Account, Transaction, Unit
from benefits.ledger.service import balances
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.batching import (
    LedgerBatcher,
    Posted,
    Standalone,
    post_batch,
    standalone,
)
from benefits.ledger.service.check import check_ledger
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from kernel.clock import SetClock
from kernel.database import make_sessionmaker
from kernel.errors import ToshavError
from tests.benefits.conftest import city_account, fund, new_key, resident_account
from tests.conftest import FreshDatabase


@pytest.fixture
def now(clock: SetClock) -> datetime:
    return clock.now()


def transfer(
    payer: Account, payee: Account, amount: int, now: datetime, key: str = ""
) -> Standalone:
    return standalone(
        idempotency_key=key or new_key("transfer"),
        kind="transfer",
        postings=[PostingInput(payer.id, -amount), PostingInput(payee.id, amount)],
        reference="bench:test",
        metadata={"why": "a test"},
        now=now,
    )


def available(session: Session, account: Account, now: datetime) -> int:
    return get_balance(session, account.id, now=now).available


def one_by_one(sessions: sessionmaker[Session], asked: Standalone) -> uuid.UUID:
    """The same request through ``post_transaction``, in a transaction of its own."""
    with sessions() as session:
        transaction = post_transaction(
            session,
            idempotency_key=asked.idempotency_key,
            kind=asked.kind,
            postings=asked.postings,
            reference=asked.reference,
            metadata=asked.metadata,
            now=asked.now,
        )
        session.commit()
        return transaction.id


def test_a_batch_refuses_the_overdraft_and_posts_the_rest(session: Session, now: datetime) -> None:
    payer, payee, other = (resident_account(session) for _ in range(3))
    fund(session, payer, 100, now=now)
    batch = [
        transfer(payer, payee, 60, now),
        transfer(payer, other, 50, now),  # 40 left after the first: refused
        transfer(payer, other, 40, now),  # exactly what is left
        transfer(payee, other, 60, now),  # spends what the first brought
    ]
    outcomes = post_batch(session, batch)
    assert isinstance(outcomes[1], InsufficientBalance)
    posted = [o for o in outcomes if isinstance(o, Posted)]
    assert len(posted) == 3
    assert all(o.created for o in posted)
    assert len({o.id for o in posted}) == 3
    first = outcomes[0]
    assert isinstance(first, Posted)
    assert (first.kind, first.reference, first.details) == (
        "transfer",
        "bench:test",
        {"why": "a test"},
    )
    stored = session.get(Transaction, first.id)
    assert stored is not None
    assert stored.idempotency_key == first.idempotency_key
    assert (available(session, payer, now), available(session, payee, now)) == (0, 0)
    assert available(session, other, now) == 100
    statement = balances.statement(session, payer.id, limit=10)
    assert [e.balance_after for e in statement.entries] == [0, 40, 100]
    assert check_ledger(session).violation is None


def test_a_batch_answers_each_request_on_its_own(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    earlier = post_transaction(
        session,
        idempotency_key="paid-before",
        kind="transfer",
        postings=[PostingInput(payer.id, -5), PostingInput(payee.id, 5)],
        now=now,
    )
    stranger = PostingInput(uuid.uuid4(), 1)
    batch = [
        transfer(payer, payee, 10, now, key="twice"),
        transfer(payer, payee, 10, now, key="twice"),  # the same request again: the same answer
        transfer(payer, payee, 11, now, key="twice"),  # the key, another request: refused
        standalone(
            idempotency_key=new_key(),
            kind="transfer",
            postings=[PostingInput(payer.id, -1), stranger],
            now=now,
        ),
        standalone(
            idempotency_key=new_key(),
            kind="transfer",
            postings=[PostingInput(payer.id, -2), PostingInput(payee.id, 1)],
            now=now,
        ),
        standalone(
            idempotency_key="paid-before",
            kind="transfer",
            postings=[PostingInput(payer.id, -5), PostingInput(payee.id, 5)],
            now=now,
        ),
    ]
    outcomes = post_batch(session, batch)
    first, again, other, missing, unbalanced, before = outcomes
    assert isinstance(first, Posted)
    assert isinstance(again, Posted)
    assert (first.created, again.created, again.id) == (True, False, first.id)
    assert isinstance(other, IdempotencyMismatch)
    assert isinstance(missing, AccountNotFound)
    assert isinstance(unbalanced, UnbalancedTransaction)
    assert isinstance(before, Posted)
    assert (before.id, before.created) == (earlier.id, False)
    assert available(session, payer, now) == 85
    keyed = select(func.count()).where(Transaction.idempotency_key == "twice")
    assert session.scalar(keyed) == 1
    assert check_ledger(session).violation is None


def test_the_batcher_answers_each_caller(fresh_database: FreshDatabase, now: datetime) -> None:
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 30, now=now)
        session.commit()
    with LedgerBatcher(make_sessionmaker(fresh_database.engine)) as batcher:
        answers = [batcher.submit(transfer(payer, payee, 10, now)) for _ in range(4)]
        errors = [a.exception() for a in answers]
    assert Counter(type(e).__name__ for e in errors) == {"NoneType": 3, "InsufficientBalance": 1}
    with fresh_database.session() as session:
        assert available(session, payer, now) == 0
        assert check_ledger(session).violation is None


def test_a_request_the_database_refuses_fails_alone(
    fresh_database: FreshDatabase, now: datetime
) -> None:
    """A request naming a clerk who does not exist passes every ledger check and is refused by
    the database: its batch is posted again one by one, and only that request fails."""
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 30, now=now)
        session.commit()
    good = [transfer(payer, payee, 10, now) for _ in range(3)]
    bad = replace(transfer(payer, payee, 10, now), created_by=uuid.uuid4())
    with LedgerBatcher(make_sessionmaker(fresh_database.engine)) as batcher:
        answers = [batcher.submit(asked) for asked in (good[0], bad, *good[1:])]
        failed = [a.exception() is not None for a in answers]
    assert failed == [False, True, False, False]
    with fresh_database.session() as session:
        assert available(session, payer, now) == 0
        assert check_ledger(session).violation is None


@pytest.mark.postgres_only
def test_many_callers_at_the_edge_of_a_balance(
    fresh_database: FreshDatabase, now: datetime
) -> None:
    """Through two batchers (two processes) and the one-by-one path at once: 100 in the account,
    60 debits of 5 and 40 transfers of 1 in and out: never below zero, nothing made or lost."""
    with fresh_database.session() as session:
        payers = [resident_account(session) for _ in range(2)]
        payee, city = resident_account(session), city_account(session, unit=Unit.PARKING_MIN)
        for payer in payers:
            fund(session, payer, 50, now=now)
        session.commit()
    sessions = make_sessionmaker(fresh_database.engine)
    start = threading.Barrier(20)

    def debit(index: int, batcher: LedgerBatcher) -> str:
        payer = payers[index % 2]
        asked = transfer(payer, payee, 5, now)
        if index < 20:
            start.wait()
        try:
            if index % 3 == 2:  # one in three the one-by-one way
                one_by_one(sessions, asked)
            else:
                batcher.post(asked)
            return "posted"
        except ToshavError as refusal:
            return refusal.code

    with (
        LedgerBatcher(sessions) as first,
        LedgerBatcher(sessions) as second,
        ThreadPoolExecutor(max_workers=20) as pool,
    ):
        outcomes = list(pool.map(lambda i: debit(i, (first, second)[i % 2]), range(60)))
    assert Counter(outcomes) == {"posted": 20, "insufficient_balance": 40}
    with fresh_database.session() as session:
        assert [available(session, payer, now) for payer in payers] == [0, 0]
        assert available(session, payee, now) == 100
        assert get_balance(session, city.id, now=now).available == -100
        assert check_ledger(session).violation is None


@pytest.mark.postgres_only
@pytest.mark.parametrize("funds", [7, 70])
def test_retries_through_the_batchers_post_once(
    fresh_database: FreshDatabase, now: datetime, funds: int
) -> None:
    """Twenty retries of one request at once, through two batchers and the one-by-one path: one
    transaction, and every caller gets its id. With 7 a late batch finds the balance short and
    then the key; with 70 its insert meets the key, and the batch is tried again."""
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, funds, now=now)
        session.commit()
    sessions = make_sessionmaker(fresh_database.engine)
    start = threading.Barrier(20)
    asked = transfer(payer, payee, 7, now, key="purchase:one")

    def retry(index: int, batchers: tuple[LedgerBatcher, LedgerBatcher]) -> uuid.UUID:
        start.wait()
        if index % 4 == 3:
            return one_by_one(sessions, asked)
        return batchers[index % 2].post(asked).id

    with (
        LedgerBatcher(sessions) as first,
        LedgerBatcher(sessions) as second,
        ThreadPoolExecutor(max_workers=20) as pool,
    ):
        ids = list(pool.map(lambda i: retry(i, (first, second)), range(20)))
    assert len(set(ids)) == 1
    with fresh_database.session() as session:
        keyed = select(func.count()).where(Transaction.idempotency_key == "purchase:one")
        assert session.scalar(keyed) == 1
        assert available(session, payer, now) == funds - 7
        assert check_ledger(session).violation is None
