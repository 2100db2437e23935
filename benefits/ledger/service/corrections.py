"""A clerk's corrections, each one audited: an adjustment against the city's account, a reversal."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import UnitMismatch
from benefits.ledger.models import OwnerType, Transaction, Unit
from benefits.ledger.service.accounts import checked_unit, get_account, get_or_create_account
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction_once, reverse_transaction_once
from resident_card.audit import service as audit

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
    if unit is not None and checked_unit(unit) != account.unit:
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
