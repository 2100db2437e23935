"""Hypothesis drives random posts, holds, captures, releases, expiries, reversals and retries, and
after every step the ledger must agree with a plain model of it and with itself."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.ledger.exceptions import (
    AlreadyReversed,
    HoldAlreadyCaptured,
    HoldAlreadyReleased,
    HoldExpired,
    IdempotencyMismatch,
    InsufficientBalance,
)
from benefits.ledger.models import Account, Transaction, Unit
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from benefits.ledger.service.holds import capture_hold, create_hold, expire_holds, release_hold
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction, reverse_transaction
from kernel.errors import ToshavError
from tests.benefits.conftest import city_account, resident_account

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
GROUPS = (Unit.PARKING_MIN, Unit.ILS)


@dataclass
class HoldModel:
    id: uuid.UUID
    postings: list[tuple[uuid.UUID, int]]
    expires_at: datetime
    state: str = "pending"  # pending, captured, released, expired (marked)


@dataclass
class PostModel:
    key: str
    postings: list[PostingInput]
    transaction_id: uuid.UUID
    reversed: bool = False


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.savepoint = session.begin_nested()
        self.now = START
        self.keys = itertools.count()
        self.accounts: dict[Unit, list[Account]] = {}
        for unit in GROUPS:
            purpose = "parking_allowance" if unit is Unit.PARKING_MIN else "cashback"
            residents = [resident_account(session, purpose=purpose, unit=unit) for _ in range(3)]
            self.accounts[unit] = [city_account(session, unit=unit), *residents]
        self.posted: dict[uuid.UUID, int] = {
            a.id: 0 for accounts in self.accounts.values() for a in accounts
        }
        self.no_negative = {
            a.id for accounts in self.accounts.values() for a in accounts if not a.allow_negative
        }
        self.holds: list[HoldModel] = []
        self.posts: list[PostModel] = []
        for accounts in self.accounts.values():
            city, *residents = accounts
            for resident in residents:
                postings = [PostingInput(city.id, -100), PostingInput(resident.id, 100)]
                transaction = post_transaction(
                    session, idempotency_key=self.key(), kind="test", postings=postings, now=START
                )
                self.posted[city.id] -= 100
                self.posted[resident.id] += 100
                self.posts.append(PostModel(transaction.idempotency_key, postings, transaction.id))

    def teardown(self) -> None:
        self.savepoint.rollback()

    # The model

    def live(self, hold: HoldModel) -> bool:
        return hold.state == "pending" and hold.expires_at > self.now

    def reserved(self, account_id: uuid.UUID) -> int:
        return sum(
            -amount
            for hold in self.holds
            if self.live(hold)
            for held, amount in hold.postings
            if held == account_id and amount < 0
        )

    def incoming(self, account_id: uuid.UUID) -> int:
        return sum(
            amount
            for hold in self.holds
            if self.live(hold)
            for held, amount in hold.postings
            if held == account_id and amount > 0
        )

    def fits(self, postings: list[tuple[uuid.UUID, int]]) -> bool:
        """Whether no account that may not go negative would have less than nothing available."""
        return not any(
            account_id in self.no_negative
            and amount < 0
            and self.posted[account_id] - self.reserved(account_id) + amount < 0
            for account_id, amount in postings
        )

    def transfer(self, unit: Unit, payer: int, payee: int, amount: int) -> list[PostingInput]:
        accounts = self.accounts[unit]
        return [PostingInput(accounts[payer].id, -amount), PostingInput(accounts[payee].id, amount)]

    def key(self) -> str:
        return f"step-{next(self.keys)}"

    def transactions(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Transaction)) or 0)

    def expect(self, error: type[ToshavError] | None, action: object) -> object:
        """Run the action; it must fail with exactly ``error``, or succeed when that is None."""
        failure: ToshavError | None = None
        result: object = None
        try:
            with self.session.begin_nested():
                result = action()  # type: ignore[operator]
        except ToshavError as exc:
            failure = exc
        if error is None:
            assert failure is None, f"unexpected {failure!r}"
        else:
            assert isinstance(failure, error), f"expected {error.__name__}, got {failure!r}"
        return result

    # The rules

    @rule(
        unit=st.sampled_from(GROUPS),
        payer=st.integers(0, 3),
        payee=st.integers(0, 3),
        amount=st.integers(1, 80),
    )
    def post(self, unit: Unit, payer: int, payee: int, amount: int) -> None:
        if payer == payee:
            payee = (payee + 1) % 4
        postings = self.transfer(unit, payer, payee, amount)
        key = self.key()
        pairs = [(p.account_id, p.amount) for p in postings]
        fits = self.fits(pairs)
        transaction = self.expect(
            None if fits else InsufficientBalance,
            lambda: post_transaction(
                self.session, idempotency_key=key, kind="test", postings=postings, now=self.now
            ),
        )
        if fits:
            assert isinstance(transaction, Transaction)
            for account_id, amount_ in pairs:
                self.posted[account_id] += amount_
            self.posts.append(PostModel(key, postings, transaction.id))

    @rule(
        unit=st.sampled_from(GROUPS),
        payer=st.integers(0, 3),
        payee=st.integers(0, 3),
        amount=st.integers(1, 80),
        minutes=st.integers(1, 30),
    )
    def hold(self, unit: Unit, payer: int, payee: int, amount: int, minutes: int) -> None:
        if payer == payee:
            payee = (payee + 1) % 4
        postings = self.transfer(unit, payer, payee, amount)
        pairs = [(p.account_id, p.amount) for p in postings]
        fits = self.fits(pairs)
        expires_at = self.now + timedelta(minutes=minutes)
        key = self.key()
        made = self.expect(
            None if fits else InsufficientBalance,
            lambda: create_hold(
                self.session,
                idempotency_key=key,
                kind="test",
                postings=postings,
                expires_at=expires_at,
                now=self.now,
            ),
        )
        if fits:
            assert made is not None
            self.holds.append(HoldModel(made.id, pairs, expires_at))  # type: ignore[attr-defined]

    def settle_error(self, hold: HoldModel) -> type[ToshavError] | None:
        if hold.state == "captured":
            return HoldAlreadyCaptured
        if hold.state == "released":
            return HoldAlreadyReleased
        if hold.state == "expired" or hold.expires_at <= self.now:
            return HoldExpired
        return None

    @rule(data=st.data(), part=st.booleans())
    def capture(self, data: st.DataObject, part: bool) -> None:
        if not self.holds:
            return
        hold = data.draw(st.sampled_from(self.holds))
        full = sum(amount for _, amount in hold.postings if amount > 0)
        amount = data.draw(st.integers(1, full)) if part else None
        error = self.settle_error(hold)
        captured = self.expect(
            error, lambda: capture_hold(self.session, hold.id, amount=amount, now=self.now)
        )
        if error is None:
            assert isinstance(captured, Transaction)
            taken = amount if amount is not None else full
            postings = [
                PostingInput(account_id, taken if value > 0 else -taken)
                for account_id, value in hold.postings
            ]
            for posting in postings:
                self.posted[posting.account_id] += posting.amount
            hold.state = "captured"
            self.posts.append(PostModel(captured.idempotency_key, postings, captured.id))

    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        if not self.holds:
            return
        hold = data.draw(st.sampled_from(self.holds))
        error = self.settle_error(hold)
        self.expect(error, lambda: release_hold(self.session, hold.id, now=self.now))
        if error is None:
            hold.state = "released"

    @rule(minutes=st.integers(0, 30))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule()
    def expire(self) -> None:
        due = [h for h in self.holds if h.state == "pending" and h.expires_at <= self.now]
        assert expire_holds(self.session, now=self.now) == len(due)
        for hold in due:
            hold.state = "expired"

    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        if not self.posts:
            return
        post = data.draw(st.sampled_from(self.posts))
        negated = [(p.account_id, -p.amount) for p in post.postings]
        if post.reversed:
            error: type[ToshavError] | None = AlreadyReversed
        else:
            error = None if self.fits(negated) else InsufficientBalance
        key = self.key()
        reversal = self.expect(
            error,
            lambda: reverse_transaction(
                self.session, post.transaction_id, idempotency_key=key, reason="test", now=self.now
            ),
        )
        if error is None:
            assert isinstance(reversal, Transaction)
            for account_id, amount in negated:
                self.posted[account_id] += amount
            post.reversed = True

    @rule(data=st.data(), same=st.booleans())
    def retry(self, data: st.DataObject, same: bool) -> None:
        """A post sent again under its key: the same content answers the original and writes
        nothing; other content is refused."""
        retried = [p for p in self.posts if not p.key.startswith("hold:")]
        if not retried:
            return
        post = data.draw(st.sampled_from(retried))
        postings = (
            post.postings
            if same
            else [PostingInput(p.account_id, p.amount * 2) for p in post.postings]
        )
        before = self.transactions()
        again = self.expect(
            None if same else IdempotencyMismatch,
            lambda: post_transaction(
                self.session, idempotency_key=post.key, kind="test", postings=postings, now=self.now
            ),
        )
        if same:
            assert isinstance(again, Transaction)
            assert again.id == post.transaction_id
        assert self.transactions() == before

    # After every step

    @invariant()
    def the_ledger_agrees_with_itself(self) -> None:
        result = check_ledger(self.session)
        assert result.violation is None, result.violation

    @invariant()
    def the_ledger_agrees_with_the_model(self) -> None:
        for account_id, posted in self.posted.items():
            balance = get_balance(self.session, account_id, now=self.now)
            assert balance.posted == posted
            assert balance.reserved == self.reserved(account_id)
            assert balance.pending == self.incoming(account_id)
            assert balance.available == posted - self.reserved(account_id)
            if account_id in self.no_negative:
                assert balance.available >= 0
                assert balance.posted >= 0


def test_the_ledger_holds_its_invariants_whatever_happens(session: Session) -> None:
    class OnThisDatabase(LedgerMachine):
        def __init__(self) -> None:
            super().__init__(session)

    run_state_machine_as_test(
        OnThisDatabase,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
