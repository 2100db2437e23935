"""The ledger over HTTP: a resident's own accounts; staff reads, adjustments and reversals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from benefits.ledger.exceptions import (
    AccountNotFound,
    AlreadyReversed,
    IdempotencyMismatch,
    InsufficientBalance,
    InvalidPosting,
    TransactionNotFound,
    UnitMismatch,
)
from benefits.ledger.models import Account, OwnerType, Transaction
from benefits.ledger.schemas import (
    AccountOut,
    AdjustmentIn,
    BalanceOut,
    PostingOut,
    ResidentAccountOut,
    ReversalIn,
    StatementOut,
    TransactionOut,
)
from benefits.ledger.service.accounts import accounts_of_owner, get_account
from benefits.ledger.service.balances import MAX_STATEMENT_PAGE, get_balance, statement
from benefits.ledger.service.corrections import adjust_balance, reverse_with_audit
from benefits.ledger.service.transactions import get_transaction, postings_of, reversal_of
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import (
    AmountOutOfRange,
    Forbidden,
    InvalidToken,
    NotAuthenticated,
    Unprocessable,
    responses,
)
from kernel.kit.integers import BIGINT_MAX
from resident_card.accounts.dependencies import AdminCaller, ResidentCaller, StaffReader
from resident_card.residents.service.records import resident_for_user

router = APIRouter(tags=["ledger"])

Limit = Annotated[int, Query(ge=1, le=MAX_STATEMENT_PAGE)]
Before = Annotated[
    int | None,
    Query(ge=1, le=BIGINT_MAX, description="`next_before` of the previous page."),
]
AUTH = (NotAuthenticated, InvalidToken, Forbidden)


def _account_out(session: DbSession, account: Account, now: datetime) -> AccountOut:
    balance = get_balance(session, account.id, now=now)
    return AccountOut(
        id=account.id,
        owner_type=account.owner_type,
        owner_id=account.owner_id,
        purpose=account.purpose,
        unit=account.unit,
        allow_negative=account.allow_negative,
        created_at=account.created_at,
        balance=BalanceOut.of(balance),
    )


def _transaction_out(session: DbSession, transaction: Transaction) -> TransactionOut:
    reversal = reversal_of(session, transaction.id)
    return TransactionOut(
        id=transaction.id,
        kind=transaction.kind,
        reference=transaction.reference,
        effective_at=transaction.effective_at,
        created_at=transaction.created_at,
        created_by=transaction.created_by,
        metadata=transaction.details,
        reverses=transaction.reverses,
        reversed_by=reversal.id if reversal is not None else None,
        postings=[
            PostingOut(account_id=p.account_id, amount=p.amount, unit=p.unit)
            for p in postings_of(session, transaction.id)
        ],
    )


def _own_account(session: DbSession, caller: ResidentCaller, account_id: uuid.UUID) -> Account:
    """The caller's own resident account; anyone else's is not found, as if it did not exist."""
    resident = resident_for_user(session, caller.id)
    account = get_account(session, account_id)
    if (
        resident is None
        or account.owner_type != OwnerType.resident.value
        or account.owner_id != resident.id
    ):
        raise AccountNotFound()
    return account


# A resident's own accounts


@router.get(
    "/ledger/me/accounts",
    response_model=list[ResidentAccountOut],
    responses=responses(*AUTH),
)
def my_accounts(session: DbSession, caller: ResidentCaller, now: Now) -> list[ResidentAccountOut]:
    """My benefit accounts (parking time, cashback, …) with what is available and pending."""
    resident = resident_for_user(session, caller.id)
    if resident is None:
        return []
    return [
        ResidentAccountOut(
            id=account.id,
            purpose=account.purpose,
            unit=account.unit,
            balance=BalanceOut.of(get_balance(session, account.id, now=now)),
        )
        for account in accounts_of_owner(session, OwnerType.resident, resident.id)
    ]


@router.get(
    "/ledger/me/accounts/{account_id}/statement",
    response_model=StatementOut,
    responses=responses(*AUTH, AccountNotFound),
)
def my_statement(
    account_id: uuid.UUID,
    session: DbSession,
    caller: ResidentCaller,
    limit: Limit = 50,
    before: Before = None,
) -> StatementOut:
    """The entries of one of my accounts, newest first, each with the balance after it."""
    account = _own_account(session, caller, account_id)
    return StatementOut.of(statement(session, account.id, limit=limit, before=before))


# Staff: admins change, auditors only read


@router.post(
    "/admin/ledger/adjustments",
    response_model=TransactionOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH,
        AccountNotFound,
        InsufficientBalance,
        UnitMismatch,
        InvalidPosting,
        IdempotencyMismatch,
        Unprocessable,
        AmountOutOfRange,
    ),
)
def adjust(
    body: AdjustmentIn, session: DbSession, caller: AdminCaller, now: Now, response: Response
) -> TransactionOut:
    """Correct an account by hand, with a reason; audited. A retry with the same key answers 200."""
    transaction, created = adjust_balance(
        session,
        account_id=body.account_id,
        amount=body.amount,
        unit=body.unit,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        actor_id=caller.id,
        now=now,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _transaction_out(session, transaction)


@router.post(
    "/admin/ledger/transactions/{transaction_id}/reverse",
    response_model=TransactionOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH,
        TransactionNotFound,
        AlreadyReversed,
        InsufficientBalance,
        IdempotencyMismatch,
        AmountOutOfRange,
    ),
)
def reverse(
    transaction_id: uuid.UUID,
    body: ReversalIn,
    session: DbSession,
    caller: AdminCaller,
    now: Now,
    response: Response,
) -> TransactionOut:
    """Reverse a transaction with a reason (its postings negated); audited; at most once."""
    reversal, created = reverse_with_audit(
        session,
        transaction_id,
        reason=body.reason,
        idempotency_key=body.idempotency_key or f"reversal:{uuid.uuid4()}",
        actor_id=caller.id,
        now=now,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _transaction_out(session, reversal)


@router.get(
    "/admin/ledger/accounts/{account_id}",
    response_model=AccountOut,
    responses=responses(*AUTH, AccountNotFound),
)
def account_detail(
    account_id: uuid.UUID,
    session: DbSession,
    caller: StaffReader,
    now: Now,
    as_of: Annotated[
        datetime | None, Query(description="A past moment (with its time zone).")
    ] = None,
) -> AccountOut:
    """One account and its balance, now or as it stood at `as_of`."""
    if as_of is not None and as_of.tzinfo is None:
        raise Unprocessable(problem="as_of needs a time zone")
    account = get_account(session, account_id)
    out = _account_out(session, account, now)
    if as_of is not None:
        out.balance = BalanceOut.of(get_balance(session, account.id, as_of=as_of, now=now))
    return out


@router.get(
    "/admin/ledger/accounts/{account_id}/statement",
    response_model=StatementOut,
    responses=responses(*AUTH, AccountNotFound),
)
def account_statement(
    account_id: uuid.UUID,
    session: DbSession,
    caller: StaffReader,
    limit: Limit = 50,
    before: Before = None,
) -> StatementOut:
    """The entries of any account, newest first, each with the balance after it."""
    return StatementOut.of(statement(session, account_id, limit=limit, before=before))


@router.get(
    "/admin/ledger/transactions/{transaction_id}",
    response_model=TransactionOut,
    responses=responses(*AUTH, TransactionNotFound),
)
def transaction_detail(
    transaction_id: uuid.UUID, session: DbSession, caller: StaffReader
) -> TransactionOut:
    """One transaction with its postings, and the reversal that undid it, if any."""
    return _transaction_out(session, get_transaction(session, transaction_id))
