"""Transactions: posted once per idempotency key, reversed at most once, and read back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import TransactionNotFound
from benefits.ledger.models import Posting, Transaction
from benefits.ledger.repository.transactions import TransactionRepository
from benefits.ledger.service.posting import PostingInput, post
from kernel.errors import Unprocessable


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
    return post(
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
    return post(
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
