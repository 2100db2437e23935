"""Posting: the one path every write to the ledger takes, and the checks it makes.

Every write locks the accounts it touches in one fixed order (PostgreSQL: ``SELECT … FOR UPDATE``
ordered by id; SQLite takes the database's write lock when the transaction begins), checks that no
account that may not go negative would, and only then writes. So a failed call writes nothing, and
a call retried with the same idempotency key returns what the first one made.

Signs: a positive amount adds to an account's balance, a negative one takes from it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import (
    AccountNotFound,
    AlreadyReversed,
    IdempotencyMismatch,
    InsufficientBalance,
    InvalidPosting,
    TooFewPostings,
    UnbalancedTransaction,
    UnitMismatch,
)
from benefits.ledger.metrics import TRANSACTIONS
from benefits.ledger.models import Hold, Transaction
from benefits.ledger.repository.holds import HoldRepository
from benefits.ledger.repository.posting import Locked, LockedAccount, PostingRepository
from benefits.ledger.repository.transactions import TransactionRepository
from kernel.errors import Unprocessable
from kernel.kit import idempotency
from kernel.kit.integers import check_in_range
from kernel.metrics import count_when_committed

# Far beyond any city's budget in agorot, far below where a 64-bit sum could overflow.
MAX_AMOUNT = 10**15
MAX_KEY_LENGTH = 200
MAX_KIND_LENGTH = 50
MAX_REFERENCE_LENGTH = 200


@dataclass(frozen=True)
class PostingInput:
    """One side of a transaction to post: an account and a signed amount in the account's unit.

    ``unit`` may be given to say what the caller believes the unit is; a different unit is refused.
    """

    account_id: uuid.UUID
    amount: int
    unit: str | None = None


@dataclass
class Effect:
    """What a write does to one account's cached figures."""

    posted: int = 0
    held_out: int = 0
    held_in: int = 0

    @property
    def available(self) -> int:
        return self.posted - self.held_out


@dataclass
class Plan:
    accounts: dict[uuid.UUID, LockedAccount]
    effects: dict[uuid.UUID, Effect] = field(default_factory=lambda: defaultdict(Effect))


def check_request(
    idempotency_key: str, kind: str, reference: str | None, postings: Sequence[PostingInput]
) -> None:
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise Unprocessable(problem=f"idempotency key (1 to {MAX_KEY_LENGTH} characters)")
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise Unprocessable(problem=f"kind (1 to {MAX_KIND_LENGTH} characters)")
    if reference is not None and len(reference) > MAX_REFERENCE_LENGTH:
        raise Unprocessable(problem=f"reference (at most {MAX_REFERENCE_LENGTH} characters)")
    if len(postings) < 2:
        raise TooFewPostings()
    seen: set[uuid.UUID] = set()
    for posting in postings:
        amount = posting.amount
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidPosting(problem="the amount must be a whole number")
        if amount == 0:
            raise InvalidPosting(problem="the amount must not be zero")
        if abs(amount) > MAX_AMOUNT:
            raise InvalidPosting(problem=f"the amount must be at most {MAX_AMOUNT}")
        if posting.account_id in seen:
            raise InvalidPosting(problem="an account appears twice")
        seen.add(posting.account_id)


def fingerprint(
    *,
    kind: str,
    postings: Sequence[PostingInput],
    reference: str | None,
    metadata: Mapping[str, Any],
    effective_at: datetime | None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A fingerprint of what was asked, to tell a retry from a different request under one key."""
    content = {
        "kind": kind,
        "postings": sorted([str(p.account_id), p.amount] for p in postings),
        "reference": reference,
        "metadata": metadata,
        "effective_at": effective_at.isoformat() if effective_at is not None else None,
        **(extra or {}),
    }
    return idempotency.request_hash(content)


_Recorded = TypeVar("_Recorded", Transaction, Hold)


def replayed(existing: _Recorded, request_hash: str) -> _Recorded:
    same_request(existing.request_hash, request_hash)
    return existing


def same_request(recorded_hash: str, request_hash: str) -> None:
    """Refuse a key reused for a different request."""
    if recorded_hash != request_hash:
        raise IdempotencyMismatch()


def found(record: _Recorded | None) -> _Recorded:
    if record is None:  # pragma: no cover - found by its key a moment ago; never deleted
        raise RuntimeError("a ledger record carrying the key disappeared")
    return record


def plan_postings(locked: Locked, postings: Sequence[PostingInput]) -> Plan:
    """Check the postings against the locked accounts: all there, units right, balanced per
    unit. The effects are still to be filled in."""
    sums: dict[str, int] = defaultdict(int)
    for posting in postings:
        account = locked.accounts.get(posting.account_id)
        if account is None:
            raise AccountNotFound()
        if posting.unit is not None and posting.unit != account.unit:
            raise UnitMismatch()
        sums[account.unit] += posting.amount
    if any(sums.values()):
        raise UnbalancedTransaction()
    return Plan(accounts=locked.accounts)


def check_figures_in_range(plan: Plan) -> None:
    """Refuse (``AmountOutOfRange``) a write that would take an account's balance or reservations
    past what their 64-bit columns hold: each posting is bounded, but their sums are not."""
    for account_id, effect in plan.effects.items():
        account = plan.accounts[account_id]
        check_in_range(
            account.balance + effect.posted,
            account.held_out + effect.held_out,
            account.held_in + effect.held_in,
        )


def check_available(holds: HoldRepository, plan: Plan, now: datetime) -> None:
    """Refuse when an account that may not go negative would have less than nothing available."""
    for account_id, effect in plan.effects.items():
        account = plan.accounts[account_id]
        if account.allow_negative or effect.available >= 0:
            continue
        held_out = account.held_out
        # The cached reservation counts expired holds until they are tidied, so it is never less
        # than the true one: enough under it is enough. Only a shortfall is worth the exact sum
        # (a scan of the account's pending holds, which a campaign budget has thousands of).
        if account.balance + effect.posted - (held_out + effect.held_out) >= 0:
            continue
        if held_out:  # a hold read after its expiry no longer reserves anything
            held_out, _ = holds.held_amounts(account.id, at=now)
        if account.balance + effect.posted - (held_out + effect.held_out) < 0:
            raise InsufficientBalance()


def apply_plan(plan: Plan) -> list[LockedAccount]:
    """The new cached figures of the accounts the plan changes (they are locked)."""
    changed: list[LockedAccount] = []
    for account_id, effect in plan.effects.items():
        if effect.posted or effect.held_out or effect.held_in:
            account = plan.accounts[account_id]
            account.balance += effect.posted
            account.held_out += effect.held_out
            account.held_in += effect.held_in
            changed.append(account)
    return changed


def settle(
    holds: HoldRepository,
    plan: Plan,
    postings: Sequence[PostingInput],
    now: datetime,
    *,
    also: Mapping[uuid.UUID, Effect] | None = None,
) -> tuple[list[dict[str, Any]], list[LockedAccount]]:
    """Judge a planned transaction against its locked accounts' figures and, when it may be
    posted, apply it to them: its posting rows (each with the balance after it, in order) and the
    accounts whose cached figures changed. Refused (nothing changed): ``AmountOutOfRange``,
    ``InsufficientBalance``. The one judgement of every posting, one at a time or in a batch."""
    for posting in postings:
        plan.effects[posting.account_id].posted += posting.amount
    for account_id, effect in (also or {}).items():
        plan.effects[account_id].held_out += effect.held_out
        plan.effects[account_id].held_in += effect.held_in
    check_figures_in_range(plan)
    check_available(holds, plan, now)
    rows: list[dict[str, Any]] = []
    running: dict[uuid.UUID, int] = {}
    for posting in postings:
        account = plan.accounts[posting.account_id]
        after = running.get(account.id, account.balance) + posting.amount
        running[account.id] = after
        rows.append(
            {
                "account_id": posting.account_id,
                "amount": posting.amount,
                "unit": account.unit,
                "balance_after": after,
            }
        )
    return rows, apply_plan(plan)


def winner_or(
    transactions: TransactionRepository, idempotency_key: str, refusal: Exception
) -> Transaction:
    """What a request with this key posted while we waited for the locks; when nothing, the
    refusal stands."""
    winner = transactions.transaction_by_key(idempotency_key)
    if winner is None:
        raise refusal
    return winner


def post(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[PostingInput],
    reference: str | None,
    metadata: dict[str, Any],
    effective_at: datetime | None,
    created_by: uuid.UUID | None,
    now: datetime,
    reverses: uuid.UUID | None = None,
    also: Mapping[uuid.UUID, Effect] | None = None,
) -> tuple[Transaction, bool]:
    """Post a balanced transaction, or return the one already posted under its key (and False).

    ``reverses`` names the transaction this one reverses; ``also`` adds the reservations a
    captured hold frees in the same write.
    """
    check_request(idempotency_key, kind, reference, postings)
    request_hash = fingerprint(
        kind=kind,
        postings=postings,
        reference=reference,
        metadata=metadata,
        effective_at=effective_at,
        extra={"reverses": str(reverses)} if reverses is not None else None,
    )
    writes = PostingRepository(session)
    transactions = TransactionRepository(session)
    locked = writes.lock_accounts((p.account_id for p in postings), key=idempotency_key)
    if locked.existing_id is not None:
        return replayed(found(transactions.transaction(locked.existing_id)), request_hash), False
    plan = plan_postings(locked, postings)
    # The accounts are locked, so a concurrent reversal of the same transaction has committed.
    if reverses is not None and transactions.reversal_of(reverses) is not None:
        raise AlreadyReversed()
    try:
        rows, changed = settle(HoldRepository(session), plan, postings, now, also=also)
    except InsufficientBalance as refusal:
        # While we waited for the locks, a request with this key may have posted: its answer.
        return replayed(winner_or(transactions, idempotency_key, refusal), request_hash), False
    count_when_committed(session, TRANSACTIONS.labels(kind))
    transaction = writes.record_transaction(
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "idempotency_key": idempotency_key,
            "request_hash": request_hash,
            "kind": kind,
            "reference": reference,
            "effective_at": effective_at or now,
            "details": metadata,
            "created_by": created_by,
            "reverses": reverses,
        },
        rows,
        changed,
    )
    if transaction is None:  # the same key, posted concurrently: the winner's answer
        winner = transactions.transaction_by_key(idempotency_key)
        if winner is None:
            raise AlreadyReversed()
        return replayed(winner, request_hash), False
    return transaction, True
