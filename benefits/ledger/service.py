"""The ledger's rules. Other packages post, hold, reverse and read through these functions.

Every write locks the accounts it touches in one fixed order (PostgreSQL: ``SELECT … FOR UPDATE``
ordered by id; SQLite takes the database's write lock when the transaction begins), checks that no
account that may not go negative would, and only then writes. So a failed call writes nothing, and
a call retried with the same idempotency key returns what the first one made.

Signs: a positive amount adds to an account's balance, a negative one takes from it.
Never commits: the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import (
    AccountNotFound,
    AccountSettingsMismatch,
    AlreadyReversed,
    HoldAlreadyCaptured,
    HoldAlreadyReleased,
    HoldExpired,
    HoldNotFound,
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
from benefits.ledger.models import (
    Account,
    Hold,
    HoldPosting,
    HoldStatus,
    OwnerType,
    Posting,
    Transaction,
    Unit,
)
from benefits.ledger.repository.accounts import AccountRepository
from benefits.ledger.repository.check import LedgerCheckRepository, Violation
from benefits.ledger.repository.holds import HoldRepository
from benefits.ledger.repository.posting import Locked, LockedAccount, PostingRepository
from benefits.ledger.repository.transactions import TransactionRepository
from resident_card.audit import service as audit
from resident_card.errors import Unprocessable

# Far beyond any city's budget in agorot, far below where a 64-bit sum could overflow.
MAX_AMOUNT = 10**15
MAX_KEY_LENGTH = 200
MAX_KIND_LENGTH = 50
MAX_REFERENCE_LENGTH = 200
MAX_PURPOSE_LENGTH = 50
MAX_STATEMENT_PAGE = 500
EXPIRY_BATCH = 500


@dataclass(frozen=True)
class PostingInput:
    """One side of a transaction to post: an account and a signed amount in the account's unit.

    ``unit`` may be given to say what the caller believes the unit is; a different unit is refused.
    """

    account_id: uuid.UUID
    amount: int
    unit: str | None = None


@dataclass(frozen=True)
class Balance:
    """An account's balance: ``available`` can be spent now; ``pending`` is on its way in (held
    for it, not yet captured); ``reserved`` is held from it; ``posted`` is the sum of its postings.
    """

    account_id: uuid.UUID
    unit: str
    posted: int
    available: int
    pending: int
    reserved: int


@dataclass(frozen=True)
class StatementEntry:
    posting_id: int
    transaction_id: uuid.UUID
    kind: str
    reference: str | None
    amount: int
    unit: str
    effective_at: datetime
    recorded_at: datetime
    balance_after: int


@dataclass(frozen=True)
class StatementPage:
    """Postings newest first; pass ``next_before`` as ``before`` for the next (older) page."""

    account_id: uuid.UUID
    unit: str
    entries: list[StatementEntry]
    next_before: int | None


@dataclass(frozen=True)
class LedgerCheck:
    accounts: int
    transactions: int
    postings: int
    holds: int
    violation: Violation | None

    @property
    def ok(self) -> bool:
        return self.violation is None


@dataclass
class _Effect:
    """What a write does to one account's cached figures."""

    posted: int = 0
    held_out: int = 0
    held_in: int = 0

    @property
    def available(self) -> int:
        return self.posted - self.held_out


@dataclass
class _Plan:
    accounts: dict[uuid.UUID, LockedAccount]
    effects: dict[uuid.UUID, _Effect] = field(default_factory=lambda: defaultdict(_Effect))


# Accounts


def get_or_create_account(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_id: uuid.UUID | None,
    purpose: str,
    unit: Unit | str,
    allow_negative: bool = False,
) -> Account:
    """The owner's account for this purpose and unit, made if it does not exist yet.

    Safe when two callers make the same account at once: one row is made and both get it.
    """
    owner = _owner_type(owner_type)
    unit_value = _unit(unit)
    if owner is OwnerType.city and owner_id is not None:
        raise InvalidAccountOwner(problem="the city's accounts have no owner id")
    if owner is not OwnerType.city and owner_id is None:
        raise InvalidAccountOwner(problem="an owner id is required")
    if not purpose or len(purpose) > MAX_PURPOSE_LENGTH:
        raise InvalidAccountOwner(problem=f"purpose must be 1 to {MAX_PURPOSE_LENGTH} characters")
    repository = AccountRepository(session)
    account = repository.account_by_owner(owner.value, owner_id, purpose, unit_value)
    if account is None:
        account = repository.insert_account_if_absent(
            {
                "id": uuid.uuid4(),
                "owner_type": owner.value,
                "owner_id": owner_id,
                "purpose": purpose,
                "unit": unit_value,
                "allow_negative": allow_negative,
                "balance": 0,
                "held_out": 0,
                "held_in": 0,
            }
        )
    if account is None:  # made by a concurrent caller between our read and our insert
        account = repository.account_by_owner(owner.value, owner_id, purpose, unit_value)
    if account is None:  # pragma: no cover - the insert conflicted, so the row exists
        raise RuntimeError("the account was neither found nor made")
    if account.allow_negative != allow_negative:
        raise AccountSettingsMismatch()
    return account


def get_account(session: Session, account_id: uuid.UUID) -> Account:
    account = AccountRepository(session).account(account_id)
    if account is None:
        raise AccountNotFound()
    return account


def accounts_of_owner(
    session: Session, owner_type: OwnerType | str, owner_id: uuid.UUID | None
) -> list[Account]:
    return list(AccountRepository(session).accounts_of_owner(_owner_type(owner_type), owner_id))


# Transactions


def post_transaction(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[PostingInput],
    reference: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    effective_at: datetime | None = None,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> Transaction:
    """Post a balanced transaction, or return the one already posted under this key."""
    transaction, _created = post_transaction_once(
        session,
        idempotency_key=idempotency_key,
        kind=kind,
        postings=postings,
        reference=reference,
        metadata=metadata,
        effective_at=effective_at,
        created_by=created_by,
        now=now,
    )
    return transaction


def post_transaction_once(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[PostingInput],
    reference: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    effective_at: datetime | None = None,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> tuple[Transaction, bool]:
    """Like ``post_transaction``, and say whether this call made it (False: a retry)."""
    return _post(
        session,
        idempotency_key=idempotency_key,
        kind=kind,
        postings=postings,
        reference=reference,
        metadata=dict(metadata or {}),
        effective_at=effective_at,
        created_by=created_by,
        now=now,
    )


def reverse_transaction(
    session: Session,
    transaction_id: uuid.UUID,
    *,
    idempotency_key: str,
    reason: str,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> Transaction:
    """Post the transaction's postings negated. A transaction is reversed at most once."""
    reversal, _created = reverse_transaction_once(
        session,
        transaction_id,
        idempotency_key=idempotency_key,
        reason=reason,
        created_by=created_by,
        now=now,
    )
    return reversal


def reverse_transaction_once(
    session: Session,
    transaction_id: uuid.UUID,
    *,
    idempotency_key: str,
    reason: str,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> tuple[Transaction, bool]:
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise Unprocessable(problem="reason (1 to 500 characters)")
    repository = TransactionRepository(session)
    original = repository.transaction(transaction_id)
    if original is None:
        raise TransactionNotFound()
    postings = [PostingInput(p.account_id, -p.amount) for p in repository.postings_of(original.id)]
    return _post(
        session,
        idempotency_key=idempotency_key,
        kind="reversal",
        postings=postings,
        reference=f"transaction:{original.id}",
        metadata={"reason": reason},
        effective_at=None,
        created_by=created_by,
        now=now,
        reverses=original.id,
    )


def get_transaction(session: Session, transaction_id: uuid.UUID) -> Transaction:
    transaction = TransactionRepository(session).transaction(transaction_id)
    if transaction is None:
        raise TransactionNotFound()
    return transaction


def postings_of(session: Session, transaction_id: uuid.UUID) -> list[Posting]:
    return list(TransactionRepository(session).postings_of(transaction_id))


def reversal_of(session: Session, transaction_id: uuid.UUID) -> Transaction | None:
    return TransactionRepository(session).reversal_of(transaction_id)


# A clerk's corrections: each one audited


ADJUSTMENTS_PURPOSE = "adjustments"


def adjust_balance(
    session: Session,
    *,
    account_id: uuid.UUID,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor_id: uuid.UUID,
    unit: Unit | str | None = None,
    now: datetime,
) -> tuple[Transaction, bool]:
    """Correct an account by hand against the city's ``adjustments`` account of the same unit.

    Audited once: a retry with the same key returns the first transaction (and False).
    """
    account = get_account(session, account_id)
    if unit is not None and _unit(unit) != account.unit:
        raise UnitMismatch()
    city = get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose=ADJUSTMENTS_PURPOSE,
        unit=account.unit,
        allow_negative=True,
    )
    before = account.balance
    transaction, created = post_transaction_once(
        session,
        idempotency_key=idempotency_key,
        kind="adjustment",
        postings=[PostingInput(account.id, amount), PostingInput(city.id, -amount)],
        reference=f"account:{account.id}",
        metadata={"reason": reason},
        created_by=actor_id,
        now=now,
    )
    if created:
        audit.record(
            session,
            actor_id=actor_id,
            action="ledger.adjustment",
            subject_type="ledger_account",
            subject_id=account.id,
            before={"balance": before, "unit": account.unit},
            after={
                "balance": account.balance,
                "unit": account.unit,
                "amount": amount,
                "transaction_id": str(transaction.id),
            },
            reason=reason,
        )
    return transaction, created


def reverse_with_audit(
    session: Session,
    transaction_id: uuid.UUID,
    *,
    reason: str,
    idempotency_key: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> tuple[Transaction, bool]:
    """A clerk's reversal: ``reverse_transaction``, written to the audit log once."""
    reversal, created = reverse_transaction_once(
        session,
        transaction_id,
        idempotency_key=idempotency_key,
        reason=reason,
        created_by=actor_id,
        now=now,
    )
    if created:
        audit.record(
            session,
            actor_id=actor_id,
            action="ledger.reversal",
            subject_type="ledger_transaction",
            subject_id=transaction_id,
            after={"reversal_id": str(reversal.id)},
            reason=reason,
        )
    return reversal, created


# Holds (two-phase transfers)


def create_hold(
    session: Session,
    *,
    idempotency_key: str,
    kind: str,
    postings: Sequence[PostingInput],
    expires_at: datetime,
    reference: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    created_by: uuid.UUID | None = None,
    now: datetime,
) -> Hold:
    """Reserve a transfer: the paying side's available balance drops now, the receiving side sees
    it as pending. Later ``capture_hold`` posts it, ``release_hold`` voids it, or it expires."""
    _check_request(idempotency_key, kind, reference, postings)
    if expires_at <= now:
        raise InvalidExpiry()
    details = dict(metadata or {})
    request_hash = _request_hash(
        kind=kind,
        postings=postings,
        reference=reference,
        metadata=details,
        effective_at=None,
        extra={"expires_at": expires_at.isoformat()},
    )
    repository = HoldRepository(session)
    writes = PostingRepository(session)
    locked = writes.lock_accounts((p.account_id for p in postings), key=idempotency_key, keyed=Hold)
    if locked.existing_id is not None:
        return _replayed(_found(repository.hold(locked.existing_id)), request_hash)
    plan = _plan(locked, postings)
    for posting in postings:
        effect = plan.effects[posting.account_id]
        if posting.amount < 0:
            effect.held_out += -posting.amount
        else:
            effect.held_in += posting.amount
    try:
        _check_available(repository, plan, now)
    except InsufficientBalance:
        winner = repository.hold_by_key(idempotency_key)
        if winner is None:
            raise
        return _replayed(winner, request_hash)
    hold = repository.insert_hold_if_absent(
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "idempotency_key": idempotency_key,
            "request_hash": request_hash,
            "kind": kind,
            "reference": reference,
            "details": details,
            "created_by": created_by,
            "expires_at": expires_at,
            "status": HoldStatus.pending.value,
        }
    )
    if hold is None:  # the same key, made concurrently: the winner's answer
        winner = repository.hold_by_key(idempotency_key)
        if winner is None:  # pragma: no cover - the insert conflicted on the key
            raise RuntimeError("the hold was neither found nor made")
        return _replayed(winner, request_hash)
    repository.add_hold_postings(
        [
            {
                "hold_id": hold.id,
                "account_id": p.account_id,
                "amount": p.amount,
                "unit": plan.accounts[p.account_id].unit,
            }
            for p in postings
        ]
    )
    writes.write_cached(_apply(plan))
    return hold


def capture_hold(
    session: Session, hold_id: uuid.UUID, *, amount: int | None = None, now: datetime
) -> Transaction:
    """Post a pending hold, in full or (a two-posting hold) for a smaller amount; the rest of the
    reservation is freed."""
    repository = HoldRepository(session)
    hold = _pending_hold(repository, hold_id, now)
    held = list(repository.hold_postings_of([hold.id]))
    postings = [PostingInput(p.account_id, p.amount) for p in held]
    if amount is not None:
        full = sum(p.amount for p in held if p.amount > 0)
        if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= full:
            raise InvalidCaptureAmount(maximum=full)
        if amount != full:
            if len(held) != 2:
                raise PartialCaptureNotSupported()
            postings = [
                PostingInput(p.account_id, amount if p.amount > 0 else -amount) for p in held
            ]
    releases: dict[uuid.UUID, _Effect] = defaultdict(_Effect)
    for posting in held:
        if posting.amount < 0:
            releases[posting.account_id].held_out -= -posting.amount
        else:
            releases[posting.account_id].held_in -= posting.amount
    transaction, _created = _post(
        session,
        idempotency_key=f"hold:{hold.id}:capture",
        kind=hold.kind,
        postings=postings,
        reference=hold.reference,
        metadata={**hold.details, "hold_id": str(hold.id)},
        effective_at=None,
        created_by=hold.created_by,
        now=now,
        also=releases,
    )
    hold.status = HoldStatus.captured.value
    hold.resolved_at = now
    hold.captured_amount = sum(p.amount for p in postings if p.amount > 0)
    hold.transaction_id = transaction.id
    session.flush()
    return transaction


def release_hold(session: Session, hold_id: uuid.UUID, *, now: datetime) -> Hold:
    """Void a pending hold: what it reserved is available again."""
    repository = HoldRepository(session)
    hold = _pending_hold(repository, hold_id, now)
    _unreserve(repository, [hold])
    hold.status = HoldStatus.released.value
    hold.resolved_at = now
    session.flush()
    return hold


def expire_holds(session: Session, *, now: datetime) -> int:
    """Mark every pending hold past its expiry as expired and free what it reserved.

    Holds read after their expiry already count as expired; this tidies the cache and the status.
    """
    repository = HoldRepository(session)
    expired = 0
    while True:
        due = list(repository.due_holds(now, limit=EXPIRY_BATCH))
        if not due:
            return expired
        _unreserve(repository, due)
        for hold in due:
            hold.status = HoldStatus.expired.value
            hold.resolved_at = hold.expires_at
        session.flush()
        expired += len(due)


def get_hold(session: Session, hold_id: uuid.UUID) -> Hold:
    hold = HoldRepository(session).hold(hold_id)
    if hold is None:
        raise HoldNotFound()
    return hold


def hold_postings_of(session: Session, hold_id: uuid.UUID) -> list[HoldPosting]:
    return list(HoldRepository(session).hold_postings_of([hold_id]))


# Reading


def get_balance(
    session: Session, account_id: uuid.UUID, *, as_of: datetime | None = None, now: datetime
) -> Balance:
    """The account's balance now, or as it stood at ``as_of`` (by the postings' effective times)."""
    account = AccountRepository(session).account(account_id, fresh=True)
    if account is None:
        raise AccountNotFound()
    holds = HoldRepository(session)
    if as_of is not None and as_of < now:
        posted = TransactionRepository(session).posted_as_of(account.id, as_of)
        held_out, held_in = holds.held_amounts(account.id, at=as_of, as_of_history=True)
    else:
        posted = account.balance
        held_out, held_in = (0, 0)
        if account.held_out or account.held_in:
            held_out, held_in = holds.held_amounts(account.id, at=now)
    return Balance(
        account_id=account.id,
        unit=account.unit,
        posted=posted,
        available=posted - held_out,
        pending=held_in,
        reserved=held_out,
    )


def statement(
    session: Session, account_id: uuid.UUID, *, limit: int = 50, before: int | None = None
) -> StatementPage:
    """The account's postings, newest first, each with the balance right after it."""
    if not 1 <= limit <= MAX_STATEMENT_PAGE:
        raise Unprocessable(problem=f"limit (1 to {MAX_STATEMENT_PAGE})")
    account = AccountRepository(session).account(account_id)
    if account is None:
        raise AccountNotFound()
    rows = TransactionRepository(session).statement(account.id, limit=limit + 1, before=before)
    entries = [
        StatementEntry(
            posting_id=posting.id,
            transaction_id=transaction.id,
            kind=transaction.kind,
            reference=transaction.reference,
            amount=posting.amount,
            unit=posting.unit,
            effective_at=transaction.effective_at,
            recorded_at=transaction.created_at,
            balance_after=posting.balance_after,
        )
        for posting, transaction in rows[:limit]
    ]
    next_before = entries[-1].posting_id if len(rows) > limit else None
    return StatementPage(
        account_id=account.id, unit=account.unit, entries=entries, next_before=next_before
    )


# The checks behind `toshav ledger check`


def check_ledger(session: Session) -> LedgerCheck:
    """Rebuild every figure from the postings and holds and compare: the first violation, or None."""
    repository = LedgerCheckRepository(session)
    counts = repository.counts()
    violation = next(repository.violations(), None)
    return LedgerCheck(
        accounts=counts["accounts"],
        transactions=counts["transactions"],
        postings=counts["postings"],
        holds=counts["holds"],
        violation=violation,
    )


# Inside


def _owner_type(value: OwnerType | str) -> OwnerType:
    try:
        return OwnerType(value)
    except ValueError as exc:
        raise InvalidAccountOwner(problem=f"unknown owner type {str(value)[:20]!r}") from exc


def _unit(value: Unit | str) -> str:
    try:
        return Unit(value).value
    except ValueError as exc:
        raise UnitMismatch() from exc


def _check_request(
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


def _request_hash(
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
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


_Recorded = TypeVar("_Recorded", Transaction, Hold)


def _replayed(existing: _Recorded, request_hash: str) -> _Recorded:
    if existing.request_hash != request_hash:
        raise IdempotencyMismatch()
    return existing


def _found(record: _Recorded | None) -> _Recorded:
    if record is None:  # pragma: no cover - found by its key a moment ago; never deleted
        raise RuntimeError("a ledger record carrying the key disappeared")
    return record


def _plan(locked: Locked, postings: Sequence[PostingInput]) -> _Plan:
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
    return _Plan(accounts=locked.accounts)


def _check_available(holds: HoldRepository, plan: _Plan, now: datetime) -> None:
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


def _apply(plan: _Plan) -> list[LockedAccount]:
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


def _post(
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
    also: Mapping[uuid.UUID, _Effect] | None = None,
) -> tuple[Transaction, bool]:
    _check_request(idempotency_key, kind, reference, postings)
    request_hash = _request_hash(
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
        return _replayed(_found(transactions.transaction(locked.existing_id)), request_hash), False
    plan = _plan(locked, postings)
    # The accounts are locked, so a concurrent reversal of the same transaction has committed.
    if reverses is not None and transactions.reversal_of(reverses) is not None:
        raise AlreadyReversed()
    for posting in postings:
        plan.effects[posting.account_id].posted += posting.amount
    for account_id, effect in (also or {}).items():
        plan.effects[account_id].held_out += effect.held_out
        plan.effects[account_id].held_in += effect.held_in
    try:
        _check_available(HoldRepository(session), plan, now)
    except InsufficientBalance:
        # While we waited for the locks, a request with this key may have posted: its answer.
        winner = transactions.transaction_by_key(idempotency_key)
        if winner is None:
            raise
        return _replayed(winner, request_hash), False
    rows: list[dict[str, Any]] = []
    running = {account_id: account.balance for account_id, account in plan.accounts.items()}
    for posting in postings:
        running[posting.account_id] += posting.amount
        rows.append(
            {
                "account_id": posting.account_id,
                "amount": posting.amount,
                "unit": plan.accounts[posting.account_id].unit,
                "balance_after": running[posting.account_id],
            }
        )
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
        _apply(plan),
    )
    if transaction is None:  # the same key, posted concurrently: the winner's answer
        winner = transactions.transaction_by_key(idempotency_key)
        if winner is None:
            raise AlreadyReversed()
        return _replayed(winner, request_hash), False
    return transaction, True


def _pending_hold(repository: HoldRepository, hold_id: uuid.UUID, now: datetime) -> Hold:
    """The hold, locked, if it is still pending; otherwise say what became of it."""
    hold = repository.hold(hold_id, for_update=True)
    if hold is None:
        raise HoldNotFound()
    if hold.status == HoldStatus.captured.value:
        raise HoldAlreadyCaptured()
    if hold.status == HoldStatus.released.value:
        raise HoldAlreadyReleased()
    if hold.status == HoldStatus.expired.value or hold.expires_at <= now:
        raise HoldExpired()
    return hold


def _unreserve(repository: HoldRepository, holds: Sequence[Hold]) -> None:
    postings = repository.hold_postings_of(hold.id for hold in holds)
    writes = PostingRepository(repository.session)
    locked = writes.lock_accounts(p.account_id for p in postings)
    plan = _Plan(accounts=locked.accounts)
    for posting in postings:
        effect = plan.effects[posting.account_id]
        if posting.amount < 0:
            effect.held_out -= -posting.amount
        else:
            effect.held_in -= posting.amount
    writes.write_cached(_apply(plan))
