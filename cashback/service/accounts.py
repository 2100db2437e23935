"""The ledger accounts cashback posts to: the city's (the source of every campaign's budget, and
what it has paid businesses), a business's (what the city owes it), a campaign's budget, and a
resident's wallet (their spendable cashback, and what they owe back).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from benefits.ledger.models import Account, OwnerType, Unit
from benefits.ledger.service.accounts import get_or_create_account
from cashback.models import Wallet
from cashback.repository.wallets import WalletRepository

# Ledger purposes.
BUDGET = "cashback_budget"  # a campaign's: what the city funded and no stripe holds yet
# A campaign's stripes: the budget's money topped up to them in chunks, drawn by purchases.
STRIPES = 32
BUDGET_STRIPES = tuple(f"{BUDGET}_stripe_{number:02d}" for number in range(STRIPES))
BUDGET_PURPOSES = (BUDGET, *BUDGET_STRIPES)  # every account of a campaign's budget
FUNDING = "cashback_funding"  # the city's source of every budget (may go below zero)
CASHBACK = "cashback"  # a resident's spendable (and, held, incoming) cashback
RECEIVABLE = "cashback_receivable"  # a resident's: below zero by what they owe back
OWED = "owed_to_merchant"  # a business's: what the city owes it
PAYOUTS = "cashback_payouts"  # the city's: what it has paid businesses


def city_account(session: Session, purpose: str, *, allow_negative: bool = False) -> Account:
    return get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose=purpose,
        unit=Unit.ILS,
        allow_negative=allow_negative,
    )


def owed_account(session: Session, merchant_id: uuid.UUID) -> Account:
    """The business's account of what the city owes it, made on first use: for posting to it (a
    redemption, a settlement) only; a read goes through ``merchants.owed_to``, which makes none."""
    return get_or_create_account(
        session, owner_type=OwnerType.merchant, owner_id=merchant_id, purpose=OWED, unit=Unit.ILS
    )


def lock_wallet(session: Session, resident_id: uuid.UUID) -> Wallet:
    """The resident's wallet row, locked (made with its two accounts on first use)."""
    repository = WalletRepository(session)
    wallet = repository.lock(resident_id)
    if wallet is not None:
        return wallet
    cashback = get_or_create_account(
        session,
        owner_type=OwnerType.resident,
        owner_id=resident_id,
        purpose=CASHBACK,
        unit=Unit.ILS,
    )
    receivable = get_or_create_account(
        session,
        owner_type=OwnerType.resident,
        owner_id=resident_id,
        purpose=RECEIVABLE,
        unit=Unit.ILS,
        allow_negative=True,
    )
    repository.insert_if_absent(
        {
            "id": uuid.uuid4(),
            "resident_id": resident_id,
            "cashback_account_id": cashback.id,
            "receivable_account_id": receivable.id,
        }
    )
    wallet = repository.lock(resident_id)
    if wallet is None:  # pragma: no cover - just inserted, or inserted by another
        raise RuntimeError("the cashback wallet was neither found nor made")
    return wallet
