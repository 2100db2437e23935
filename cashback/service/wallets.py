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
from cashback.repository.redemptions import RedemptionRepository
from cashback.repository.refunds import RefundRepository
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


@dataclass(frozen=True)
class StatementLine:
    """One entry of a resident's cashback, as they read it: what happened, to how much, when, and
    at which business. ``held_until`` is said for cashback still held in its return window."""

    kind: str  # held, released, spent, refunded, expired
    amount_agorot: int
    at: datetime
    business: str
    held_until: datetime | None = None


STATEMENT_PURCHASES = 100


def wallet_statement(session: Session, resident_id: uuid.UUID) -> list[StatementLine]:
    """The entries behind a resident's cashback balances, newest first: each purchase's cashback
    credited and held until its return window ends, then released (spendable); refunds that took
    some back; cashback spent at a business; a hold that lapsed unreleased."""
    purchases = PurchaseRepository(session).purchases_of_resident(
        resident_id, limit=STATEMENT_PURCHASES
    )
    spent = RedemptionRepository(session).of_resident(resident_id, limit=STATEMENT_PURCHASES)
    refunds = RefundRepository(session).of_each(p.id for p in purchases)
    merchants = MerchantRepository(session).by_ids(
        [p.merchant_id for p in purchases] + [r.merchant_id for r in spent]
    )
    lines: list[StatementLine] = []
    for purchase in purchases:
        business = merchants[purchase.merchant_id].name
        lines.append(
            StatementLine(
                "held",
                purchase.cashback_agorot,
                purchase.created_at,
                business,
                held_until=purchase.available_at,
            )
        )
        from_hold = sum(r.from_hold_agorot for r in refunds[purchase.id])
        still = purchase.cashback_agorot - from_hold
        if purchase.released_at is not None and still > 0:
            lines.append(StatementLine("released", still, purchase.released_at, business))
        elif purchase.released_at is None and purchase.hold_id is None and still > 0:
            lines.append(StatementLine("expired", -still, purchase.available_at, business))
        for refund in refunds[purchase.id]:
            if refund.cashback_taken_back_agorot:
                lines.append(
                    StatementLine(
                        "refunded", -refund.cashback_taken_back_agorot, refund.created_at, business
                    )
                )
    for redemption in spent:
        lines.append(
            StatementLine(
                "spent",
                -redemption.amount_agorot,
                redemption.created_at,
                merchants[redemption.merchant_id].name,
            )
        )
    order = {"held": 0, "released": 1, "expired": 1, "refunded": 2, "spent": 2}
    lines.sort(key=lambda line: (line.at, order[line.kind]), reverse=True)
    return lines
