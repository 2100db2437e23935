"""Reading an account: its balance now or as it stood, and its statement of postings."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import AccountNotFound
from benefits.ledger.models import Account, OwnerType, Unit
from benefits.ledger.repository.accounts import AccountRepository
from benefits.ledger.repository.holds import HoldRepository
from benefits.ledger.repository.transactions import TransactionRepository
from benefits.ledger.service.accounts import checked_unit, owner_type_of
from kernel.errors import Unprocessable

MAX_STATEMENT_PAGE = 500


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
    return _balance(account, posted, held_out, held_in)


def get_balances(
    session: Session, account_ids: Iterable[uuid.UUID], *, now: datetime
) -> dict[uuid.UUID, Balance]:
    """Several accounts' balances now, as ``get_balance`` gives each, in at most two statements
    however many accounts; an id with no account is left out."""
    return _balances_now(session, AccountRepository(session).accounts(account_ids), now)


def balances_of_owners(
    session: Session,
    *,
    owner_type: OwnerType | str,
    owner_ids: Iterable[uuid.UUID],
    purpose: str,
    unit: Unit | str,
    now: datetime,
) -> dict[uuid.UUID, Balance]:
    """Each owner's balance now in their account for this purpose and unit, by owner id, in at
    most two statements however many owners; an owner without such an account is left out (and
    none is made)."""
    accounts = AccountRepository(session).accounts_by_owners(
        owner_type_of(owner_type).value, owner_ids, purpose, checked_unit(unit)
    )
    balances = _balances_now(session, accounts, now)
    return {account.owner_id: balances[account.id] for account in accounts if account.owner_id}


def _balances_now(
    session: Session, accounts: Sequence[Account], now: datetime
) -> dict[uuid.UUID, Balance]:
    holding = [a.id for a in accounts if a.held_out or a.held_in]
    held = HoldRepository(session).held_amounts_now(holding, at=now) if holding else {}
    return {a.id: _balance(a, a.balance, *held.get(a.id, (0, 0))) for a in accounts}


def _balance(account: Account, posted: int, held_out: int, held_in: int) -> Balance:
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
