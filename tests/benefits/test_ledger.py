"""The ledger's rules, on SQLite and PostgreSQL: postings, holds, reversals, balances, statements."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benefits.ledger.exceptions import (
    AccountNotFound,
    AccountSettingsMismatch,
    AlreadyReversed,
    HoldAlreadyCaptured,
    HoldAlreadyReleased,
    HoldExpired,
    IdempotencyMismatch,
    InsufficientBalance,
    InvalidAccountOwner,
    InvalidCaptureAmount,
    InvalidExpiry,
    InvalidPosting,
    PartialCaptureNotSupported,
    TooFewPostings,
    TransactionNotFound,
    UnbalancedTransaction,
    UnitMismatch,
)
from benefits.ledger.models import Account, Hold, HoldStatus, Posting, Transaction, Unit
from benefits.ledger.service import balances
from benefits.ledger.service.accounts import accounts_of_owner, get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from benefits.ledger.service.holds import (
    capture_hold,
    create_hold,
    expire_holds,
    get_hold,
    release_hold,
)
from benefits.ledger.service.posting import MAX_AMOUNT, PostingInput
from benefits.ledger.service.transactions import (
    post_transaction,
    postings_of,
    reversal_of,
    reverse_transaction,
)
from kernel.clock import SetClock
from kernel.errors import AmountOutOfRange, ToshavError
from kernel.kit.integers import BIGINT_MAX
from tests.benefits.conftest import city_account, fund, new_key, resident_account


@pytest.fixture
def now(clock: SetClock) -> datetime:
    return clock.now()


def count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def available(session: Session, account: Account, now: datetime) -> int:
    return get_balance(session, account.id, now=now).available


def assert_sound(session: Session) -> None:
    result = check_ledger(session)
    assert result.violation is None, result.violation


def spend(
    session: Session, payer: Account, payee: Account, amount: int, now: datetime, key: str = ""
) -> Transaction:
    return post_transaction(
        session,
        idempotency_key=key or new_key("spend"),
        kind="parking",
        postings=[PostingInput(payer.id, -amount), PostingInput(payee.id, amount)],
        now=now,
    )


# Accounts


def test_get_or_create_account_returns_the_same_account(session: Session) -> None:
    owner = uuid.uuid4()
    first = resident_account(session, owner_id=owner)
    again = resident_account(session, owner_id=owner)
    other_unit = resident_account(session, owner_id=owner, purpose="cashback", unit=Unit.ILS)
    assert again.id == first.id
    assert other_unit.id != first.id
    assert {a.id for a in accounts_of_owner(session, "resident", owner)} == {
        first.id,
        other_unit.id,
    }


def test_the_city_has_one_account_per_purpose_and_unit(session: Session) -> None:
    first = city_account(session, purpose="issuance")
    again = city_account(session, purpose="issuance")
    money = city_account(session, purpose="issuance", unit=Unit.ILS)
    assert again.id == first.id
    assert money.id != first.id
    assert first.owner_id is None


def test_the_database_refuses_a_second_city_account_of_one_purpose(session: Session) -> None:
    account = city_account(session, purpose="budget")
    duplicate = Account(
        owner_type="city", owner_id=None, purpose="budget", unit=account.unit, allow_negative=True
    )
    with pytest.raises(DBAPIError), session.begin_nested():
        session.add_all([duplicate])  # flushed when the savepoint ends


def test_account_owner_is_checked(session: Session) -> None:
    with pytest.raises(InvalidAccountOwner):
        get_or_create_account(
            session, owner_type="landlord", owner_id=uuid.uuid4(), purpose="x", unit="ILS"
        )
    with pytest.raises(InvalidAccountOwner):
        get_or_create_account(
            session, owner_type="resident", owner_id=None, purpose="x", unit="ILS"
        )
    with pytest.raises(InvalidAccountOwner):
        get_or_create_account(
            session, owner_type="city", owner_id=uuid.uuid4(), purpose="x", unit="ILS"
        )
    with pytest.raises(UnitMismatch):
        get_or_create_account(
            session, owner_type="resident", owner_id=uuid.uuid4(), purpose="x", unit="USD"
        )


def test_an_account_keeps_its_negative_balance_setting(session: Session) -> None:
    owner = uuid.uuid4()
    resident_account(session, owner_id=owner)
    with pytest.raises(AccountSettingsMismatch) as caught:
        get_or_create_account(
            session,
            owner_type="resident",
            owner_id=owner,
            purpose="parking_allowance",
            unit=Unit.PARKING_MIN,
            allow_negative=True,
        )
    assert caught.value.status_code == 409


# Posting


def test_a_transaction_moves_value_and_balances(session: Session, now: datetime) -> None:
    resident = resident_account(session)
    transaction = fund(session, resident, 120, now=now)
    postings = postings_of(session, transaction.id)
    assert sorted(p.amount for p in postings) == [-120, 120]
    assert all(p.unit == "PARKING_MIN" for p in postings)
    balance = get_balance(session, resident.id, now=now)
    assert (balance.posted, balance.available, balance.pending, balance.unit) == (
        120,
        120,
        0,
        "PARKING_MIN",
    )
    assert get_balance(session, city_account(session).id, now=now).available == -120
    assert resident.balance == 120  # an Account already loaded is kept in step
    assert_sound(session)


def test_a_retry_with_the_same_key_returns_the_original_and_writes_nothing(
    session: Session, now: datetime
) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    first = spend(session, payer, payee, 30, now, key="retry-me")
    transactions, postings = count(session, Transaction), count(session, Posting)
    again = spend(session, payer, payee, 30, now + timedelta(minutes=5), key="retry-me")
    assert again.id == first.id
    assert (count(session, Transaction), count(session, Posting)) == (transactions, postings)
    assert available(session, payer, now) == 70


def test_the_same_key_with_other_content_is_refused(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    spend(session, payer, payee, 30, now, key="one-purchase")
    with pytest.raises(IdempotencyMismatch) as caught:
        spend(session, payer, payee, 31, now, key="one-purchase")
    assert (caught.value.status_code, caught.value.code) == (422, "idempotency_mismatch")
    assert available(session, payer, now) == 70


def test_a_no_negative_account_refuses_to_go_below_zero(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 50, now=now)
    transactions = count(session, Transaction)
    with pytest.raises(InsufficientBalance) as caught:
        spend(session, payer, payee, 51, now)
    assert (caught.value.status_code, caught.value.code) == (409, "insufficient_balance")
    assert count(session, Transaction) == transactions
    assert available(session, payer, now) == 50
    spend(session, payer, payee, 50, now)
    assert available(session, payer, now) == 0
    assert_sound(session)


def test_an_account_allowed_negative_may_go_below_zero(session: Session, now: datetime) -> None:
    city = city_account(session, purpose="budget", unit=Unit.ILS)
    resident = resident_account(session, purpose="cashback", unit=Unit.ILS)
    spend(session, city, resident, 1_000, now)
    assert available(session, city, now) == -1_000


@pytest.mark.parametrize(
    ("postings", "error"),
    [
        (lambda a, b, m: [PostingInput(a, -5)], TooFewPostings),
        (lambda a, b, m: [], TooFewPostings),
        (lambda a, b, m: [PostingInput(a, -5), PostingInput(b, 4)], UnbalancedTransaction),
        (lambda a, b, m: [PostingInput(a, -5), PostingInput(m, 5)], UnbalancedTransaction),
        (
            lambda a, b, m: [PostingInput(a, -5, "ILS"), PostingInput(b, 5, "ILS")],
            UnitMismatch,
        ),
        (lambda a, b, m: [PostingInput(a, 0), PostingInput(b, 0)], InvalidPosting),
        (lambda a, b, m: [PostingInput(a, -5), PostingInput(a, 5)], InvalidPosting),
        (lambda a, b, m: [PostingInput(a, -1.5), PostingInput(b, 1.5)], InvalidPosting),  # type: ignore[arg-type]
        (lambda a, b, m: [PostingInput(a, -(10**16)), PostingInput(b, 10**16)], InvalidPosting),
        (lambda a, b, m: [PostingInput(a, -5), PostingInput(uuid.uuid4(), 5)], AccountNotFound),
    ],
    ids=[
        "one-posting",
        "no-postings",
        "unbalanced",
        "units-mixed",
        "unit-not-the-accounts",
        "zero",
        "same-account-twice",
        "not-whole",
        "too-large",
        "unknown-account",
    ],
)
def test_bad_transactions_are_refused_and_write_nothing(
    session: Session, now: datetime, postings: object, error: type[ToshavError]
) -> None:
    payer, payee = resident_account(session), resident_account(session)
    money = resident_account(session, purpose="cashback", unit=Unit.ILS)
    fund(session, payer, 100, now=now)
    transactions = count(session, Transaction)
    with pytest.raises(error) as caught:
        post_transaction(
            session,
            idempotency_key=new_key(),
            kind="parking",
            postings=postings(payer.id, payee.id, money.id),  # type: ignore[operator]
            now=now,
        )
    assert caught.value.status_code in (404, 422)
    assert count(session, Transaction) == transactions
    assert available(session, payer, now) == 100


def test_error_codes_are_the_documented_ones() -> None:
    assert UnbalancedTransaction.code == "unbalanced_transaction"
    assert UnitMismatch.code == "unit_mismatch"
    assert AlreadyReversed.code == "already_reversed"
    assert IdempotencyMismatch.code == "idempotency_mismatch"
    assert InsufficientBalance.code == "insufficient_balance"


# Reversals


def test_a_reversal_negates_the_postings(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    original = spend(session, payer, payee, 40, now)
    reversal = reverse_transaction(
        session, original.id, idempotency_key=new_key(), reason="wrong zone", now=now
    )
    assert reversal.reverses == original.id
    assert reversal.kind == "reversal"
    assert {(p.account_id, p.amount) for p in postings_of(session, reversal.id)} == {
        (payer.id, 40),
        (payee.id, -40),
    }
    assert available(session, payer, now) == 100
    assert available(session, payee, now) == 0
    assert reversal_of(session, original.id) == reversal
    assert_sound(session)


def test_a_second_reversal_is_refused(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    original = spend(session, payer, payee, 40, now)
    first = reverse_transaction(
        session, original.id, idempotency_key="undo-1", reason="wrong zone", now=now
    )
    retried = reverse_transaction(
        session, original.id, idempotency_key="undo-1", reason="wrong zone", now=now
    )
    assert retried.id == first.id
    with pytest.raises(AlreadyReversed) as caught:
        reverse_transaction(session, original.id, idempotency_key="undo-2", reason="again", now=now)
    assert (caught.value.status_code, caught.value.code) == (409, "already_reversed")
    assert available(session, payer, now) == 100


def test_a_reversal_cannot_take_what_was_already_spent(session: Session, now: datetime) -> None:
    resident, merchant = resident_account(session), resident_account(session)
    grant = fund(session, resident, 60, now=now)
    spend(session, resident, merchant, 50, now)
    with pytest.raises(InsufficientBalance):
        reverse_transaction(
            session, grant.id, idempotency_key=new_key(), reason="granted by mistake", now=now
        )
    assert reversal_of(session, grant.id) is None


def test_reversing_an_unknown_transaction_is_not_found(session: Session, now: datetime) -> None:
    with pytest.raises(TransactionNotFound):
        reverse_transaction(session, uuid.uuid4(), idempotency_key=new_key(), reason="?", now=now)


# Holds


def make_hold(
    session: Session,
    payer: Account,
    payee: Account,
    amount: int,
    now: datetime,
    *,
    minutes: int = 30,
    key: str = "",
) -> Hold:
    return create_hold(
        session,
        idempotency_key=key or new_key("hold"),
        kind="parking",
        postings=[PostingInput(payer.id, -amount), PostingInput(payee.id, amount)],
        expires_at=now + timedelta(minutes=minutes),
        reference="session:abc",
        now=now,
    )


def test_a_hold_reserves_on_one_side_and_is_pending_on_the_other(
    session: Session, now: datetime
) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    make_hold(session, payer, payee, 60, now)
    paying = get_balance(session, payer.id, now=now)
    receiving = get_balance(session, payee.id, now=now)
    assert (paying.posted, paying.available, paying.reserved) == (100, 40, 60)
    assert (receiving.posted, receiving.available, receiving.pending) == (0, 0, 60)
    with pytest.raises(InsufficientBalance):
        spend(session, payer, payee, 41, now)
    with pytest.raises(InsufficientBalance):
        make_hold(session, payer, payee, 41, now)
    assert_sound(session)


def test_holds_whose_sum_would_pass_the_databases_range_are_refused(
    session: Session, now: datetime
) -> None:
    payer, payee = city_account(session), resident_account(session)
    # As some 9,200 maximal pending holds would leave it: the reservation near BIGINT's top.
    session.execute(
        update(Account).where(Account.id == payee.id).values(held_in=BIGINT_MAX - MAX_AMOUNT + 1)
    )
    holds = count(session, Hold)

    with pytest.raises(AmountOutOfRange):
        make_hold(session, payer, payee, MAX_AMOUNT, now)

    assert count(session, Hold) == holds
    make_hold(session, payer, payee, MAX_AMOUNT - 1, now)  # to the very top is still held


def test_capturing_a_hold_posts_it(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    hold = make_hold(session, payer, payee, 60, now)
    transaction = capture_hold(session, hold.id, now=now)
    assert transaction.kind == "parking"
    assert transaction.reference == "session:abc"
    assert transaction.details["hold_id"] == str(hold.id)
    assert get_balance(session, payer.id, now=now).available == 40
    receiving = get_balance(session, payee.id, now=now)
    assert (receiving.available, receiving.pending) == (60, 0)
    hold = get_hold(session, hold.id)
    assert (hold.status, hold.captured_amount, hold.transaction_id) == (
        HoldStatus.captured,
        60,
        transaction.id,
    )
    assert_sound(session)


def test_capturing_less_frees_the_rest(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    hold = make_hold(session, payer, payee, 60, now)
    capture_hold(session, hold.id, amount=25, now=now)
    assert available(session, payer, now) == 75
    assert available(session, payee, now) == 25
    assert get_balance(session, payee.id, now=now).pending == 0
    assert_sound(session)


@pytest.mark.parametrize("amount", [0, -5, 61])
def test_capturing_a_wrong_amount_is_refused(session: Session, now: datetime, amount: int) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    hold = make_hold(session, payer, payee, 60, now)
    with pytest.raises(InvalidCaptureAmount):
        capture_hold(session, hold.id, amount=amount, now=now)
    assert get_hold(session, hold.id).status == HoldStatus.pending


def test_a_hold_of_three_postings_is_captured_only_in_full(session: Session, now: datetime) -> None:
    payer, first, second = (resident_account(session) for _ in range(3))
    fund(session, payer, 100, now=now)
    hold = create_hold(
        session,
        idempotency_key=new_key(),
        kind="split",
        postings=[
            PostingInput(payer.id, -30),
            PostingInput(first.id, 10),
            PostingInput(second.id, 20),
        ],
        expires_at=now + timedelta(minutes=5),
        now=now,
    )
    with pytest.raises(PartialCaptureNotSupported):
        capture_hold(session, hold.id, amount=20, now=now)
    capture_hold(session, hold.id, amount=30, now=now)
    assert [available(session, a, now) for a in (payer, first, second)] == [70, 10, 20]
    assert_sound(session)


def test_a_hold_is_captured_or_released_once(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    captured = make_hold(session, payer, payee, 10, now)
    released = make_hold(session, payer, payee, 10, now)
    capture_hold(session, captured.id, now=now)
    release_hold(session, released.id, now=now)
    for action, hold, error in (
        (capture_hold, captured, HoldAlreadyCaptured),
        (release_hold, captured, HoldAlreadyCaptured),
        (capture_hold, released, HoldAlreadyReleased),
        (release_hold, released, HoldAlreadyReleased),
    ):
        with pytest.raises(error) as caught:
            action(session, hold.id, now=now)
        assert caught.value.status_code == 409
    assert HoldAlreadyCaptured.code == "hold_already_captured"
    assert HoldAlreadyReleased.code == "hold_already_released"
    assert available(session, payer, now) == 90
    assert available(session, payee, now) == 10
    assert_sound(session)


def test_releasing_a_hold_frees_it(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    hold = make_hold(session, payer, payee, 60, now)
    released = release_hold(session, hold.id, now=now)
    assert released.status == HoldStatus.released
    assert available(session, payer, now) == 100
    assert get_balance(session, payee.id, now=now).pending == 0
    assert_sound(session)


def test_a_hold_read_after_its_expiry_counts_as_expired(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    hold = make_hold(session, payer, payee, 60, now, minutes=10)
    later = now + timedelta(minutes=10)
    assert available(session, payer, later) == 100
    assert get_balance(session, payee.id, now=later).pending == 0
    spend(session, payer, payee, 100, later)  # the reservation no longer stands in the way
    with pytest.raises(HoldExpired) as caught:
        capture_hold(session, hold.id, now=later)
    assert (caught.value.status_code, caught.value.code) == (409, "hold_expired")
    with pytest.raises(HoldExpired):
        release_hold(session, hold.id, now=later)
    assert expire_holds(session, now=later) == 1
    assert get_hold(session, hold.id).status == HoldStatus.expired
    assert expire_holds(session, now=later) == 0
    assert available(session, payer, later) == 0
    assert_sound(session)


def test_expire_holds_leaves_holds_still_running(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    make_hold(session, payer, payee, 10, now, minutes=5)
    running = make_hold(session, payer, payee, 20, now, minutes=60)
    assert expire_holds(session, now=now + timedelta(minutes=5)) == 1
    assert get_hold(session, running.id).status == HoldStatus.pending
    assert available(session, payer, now + timedelta(minutes=5)) == 80
    assert_sound(session)


def test_a_hold_must_expire_in_the_future(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    with pytest.raises(InvalidExpiry):
        make_hold(session, payer, payee, 10, now, minutes=0)


def test_a_hold_retried_with_its_key_is_the_same_hold(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    first = make_hold(session, payer, payee, 10, now, key="hold-once")
    again = make_hold(session, payer, payee, 10, now, key="hold-once")
    assert again.id == first.id
    assert available(session, payer, now) == 90
    with pytest.raises(IdempotencyMismatch):
        make_hold(session, payer, payee, 11, now, key="hold-once")


# Reading


def test_balance_as_of_a_past_moment(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now, effective_at=now - timedelta(days=2))
    spend(session, payer, payee, 30, now)
    yesterday = now - timedelta(days=1)
    assert get_balance(session, payer.id, as_of=yesterday, now=now).available == 100
    assert get_balance(session, payer.id, as_of=now - timedelta(days=3), now=now).posted == 0
    assert get_balance(session, payer.id, now=now).available == 70


def test_a_past_balance_counts_the_holds_pending_then(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now - timedelta(hours=1))
    hold = make_hold(session, payer, payee, 60, now - timedelta(minutes=30), minutes=60)
    release_hold(session, hold.id, now=now - timedelta(minutes=10))
    during = get_balance(session, payer.id, as_of=now - timedelta(minutes=20), now=now)
    after = get_balance(session, payer.id, as_of=now - timedelta(minutes=5), now=now)
    assert (during.available, during.reserved) == (40, 60)
    assert (after.available, after.reserved) == (100, 0)


def test_many_balances_read_at_once_are_each_as_read_alone(session: Session, now: datetime) -> None:
    payer_owner, idle_owner = uuid.uuid4(), uuid.uuid4()
    payer = resident_account(session, owner_id=payer_owner)
    payee = resident_account(session)
    idle = resident_account(session, owner_id=idle_owner)
    fund(session, payer, 100, now=now)
    make_hold(session, payer, payee, 60, now)
    make_hold(session, payer, payee, 10, now - timedelta(hours=1), minutes=30)  # expired by now
    ids = [payer.id, payee.id, idle.id, uuid.uuid4()]

    found = balances.get_balances(session, ids, now=now)

    assert found == {i: get_balance(session, i, now=now) for i in ids[:3]}
    by_owner = balances.balances_of_owners(
        session,
        owner_type=payer.owner_type,
        owner_ids=[payer_owner, idle_owner, uuid.uuid4()],
        purpose=payer.purpose,
        unit=payer.unit,
        now=now,
    )
    assert by_owner == {payer_owner: found[payer.id], idle_owner: found[idle.id]}


def test_a_statement_is_newest_first_with_running_balances(session: Session, now: datetime) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    for amount in (10, 20, 30):
        spend(session, payer, payee, amount, now)
    first = balances.statement(session, payer.id, limit=3)
    assert [(e.amount, e.balance_after) for e in first.entries] == [(-30, 40), (-20, 70), (-10, 90)]
    assert first.next_before is not None
    rest = balances.statement(session, payer.id, limit=3, before=first.next_before)
    assert [(e.amount, e.balance_after, e.kind) for e in rest.entries] == [(100, 100, "grant")]
    assert rest.next_before is None
    with pytest.raises(AccountNotFound):
        balances.statement(session, uuid.uuid4())


# The ledger cannot be rewritten


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_postings SET amount = amount + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transactions SET kind = 'other'",
        "DELETE FROM ledger_transactions",
        "UPDATE ledger_hold_postings SET amount = 1",
        "DELETE FROM ledger_hold_postings",
    ],
)
def test_postings_and_transactions_cannot_be_changed(
    session: Session, now: datetime, statement: str
) -> None:
    payer, payee = resident_account(session), resident_account(session)
    fund(session, payer, 100, now=now)
    make_hold(session, payer, payee, 10, now)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))
    assert count(session, Posting) == 2
    assert_sound(session)


def test_the_check_finds_a_cached_balance_that_drifted(session: Session, now: datetime) -> None:
    resident = resident_account(session)
    fund(session, resident, 100, now=now)
    assert_sound(session)
    session.execute(
        text("UPDATE ledger_accounts SET balance = balance + 1 WHERE id = :id"),
        {"id": resident.id.hex if session.get_bind().dialect.name == "sqlite" else resident.id},
    )
    result = check_ledger(session)
    assert result.violation is not None
    assert result.violation.code == "balance_cache_mismatch"
    assert str(resident.id) in result.violation.subject
