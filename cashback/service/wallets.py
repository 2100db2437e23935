"""A resident's cashback as they see it: spendable, held in return windows, owed back, and their
recent purchases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.service.balances import get_balance
from cashback.models import Merchant, Purchase
from cashback.repository.merchants import MerchantRepository
from cashback.repository.purchases import PurchaseRepository
from cashback.repository.wallets import WalletRepository


@dataclass(frozen=True)
class WalletView:
    available_agorot: int
    pending_agorot: int
    owed_agorot: int
    purchases: list[tuple[Purchase, Merchant]]


def wallet_view(session: Session, resident_id: uuid.UUID, *, now: datetime) -> WalletView:
    """A resident's cashback: spendable, held (in return windows), owed back, recent purchases.

    Read only: cashback whose return window is over stays held until the worker releases it
    (``cashback.release_holds``, every few minutes) or the resident spends it (a redemption
    releases what is due first).
    """
    wallet = WalletRepository(session).get(resident_id)
    if wallet is None:
        return WalletView(0, 0, 0, [])
    balance = get_balance(session, wallet.cashback_account_id, now=now)
    owed = -get_balance(session, wallet.receivable_account_id, now=now).posted
    purchases = PurchaseRepository(session).purchases_of_resident(resident_id, limit=20)
    merchants = MerchantRepository(session).by_ids(p.merchant_id for p in purchases)
    return WalletView(
        available_agorot=balance.available,
        pending_agorot=balance.pending,
        owed_agorot=max(owed, 0),
        purchases=[(p, merchants[p.merchant_id]) for p in purchases],
    )


def available_cashback(session: Session, resident_id: uuid.UUID, *, now: datetime) -> int | None:
    """What a resident can spend now, read only (for the wallet's summary line); None for a
    resident who never earned cashback."""
    wallet = WalletRepository(session).get(resident_id)
    if wallet is None:
        return None
    return get_balance(session, wallet.cashback_account_id, now=now).available
