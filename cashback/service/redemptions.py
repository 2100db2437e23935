"""Redemptions: a resident pays with cashback at a business, which the city then owes; and the
till's check of what a card's holder can spend.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import IdempotencyMismatch
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from cashback import earning
from cashback.exceptions import InsufficientCashback, TokenReplayed
from cashback.models import Redemption
from cashback.repository.redemptions import RedemptionRepository
from cashback.service import accounts, checks, merchants, releases, scans, wallets
from kernel.kit import idempotency
from kernel.settings import Settings
from resident_card.cards import verification


@dataclass(frozen=True)
class RedemptionAnswer:
    redemption: Redemption
    replayed: bool


def redeem(
    session: Session,
    settings: Settings,
    *,
    staff_user_id: uuid.UUID,
    idempotency_key: str | None,
    card_token: str,
    amount_agorot: int,
    receipt: str | None,
    now: datetime,
) -> RedemptionAnswer:
    """A resident pays with cashback at a business: their balance goes down, the city owes the
    business. Same key and body: same answer."""
    merchant = merchants.staff_merchant(session, staff_user_id)
    key = checks.check_idempotency_key(idempotency_key)
    request_hash = idempotency.request_hash(
        {"card_token": card_token, "amount_agorot": amount_agorot, "receipt": receipt}
    )
    repository = RedemptionRepository(session)

    def replay(existing: Redemption) -> RedemptionAnswer:
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch()
        return RedemptionAnswer(existing, True)

    existing = repository.by_key(merchant.id, key)
    if existing is not None:
        return replay(existing)
    merchants.check_approved(merchant)
    checks.check_amount(amount_agorot)
    resident, fresh = scans.scanned_resident(
        session, settings, merchant, card_token, used_for="redemption", now=now
    )
    if not fresh:
        existing = repository.by_key(merchant.id, key)
        if existing is not None:
            return replay(existing)
        raise TokenReplayed()
    wallet = accounts.lock_wallet(session, resident.id)
    releases.release_due_holds(session, now=now, resident_id=resident.id)
    available = get_balance(session, wallet.cashback_account_id, now=now).available
    if amount_agorot > available:
        raise InsufficientCashback(available=earning.format_agorot(max(available, 0)))
    redemption_id = uuid.uuid4()
    transaction = post_transaction(
        session,
        idempotency_key=f"cashback:redemption:{redemption_id}",
        kind="cashback_redemption",
        postings=[
            PostingInput(wallet.cashback_account_id, -amount_agorot),
            PostingInput(accounts.owed_account(session, merchant.id).id, amount_agorot),
        ],
        reference=f"redemption:{redemption_id}",
        created_by=staff_user_id,
        now=now,
    )
    redemption = repository.insert_if_absent(
        {
            "id": redemption_id,
            "created_at": now,
            "merchant_id": merchant.id,
            "resident_id": resident.id,
            "staff_user_id": staff_user_id,
            "idempotency_key": key,
            "request_hash": request_hash,
            "amount_agorot": amount_agorot,
            "receipt": receipt,
            "balance_after_agorot": available - amount_agorot,
            "transaction_id": transaction.id,
        }
    )
    if redemption is None:
        raise IdempotencyMismatch()
    return RedemptionAnswer(redemption, False)


@dataclass(frozen=True)
class BalanceCheck:
    available_agorot: int
    pending_agorot: int


def check_balance(
    session: Session,
    settings: Settings,
    *,
    staff_user_id: uuid.UUID,
    card_token: str,
    now: datetime,
) -> BalanceCheck:
    """What the card's holder can spend here now (the token is verified, not consumed)."""
    merchant = merchants.staff_merchant(session, staff_user_id)
    merchants.check_approved(merchant)
    check = verification.check_token(
        session, settings, card_token, verifier=scans.verifier_of(merchant), now=now
    )
    if not check.valid or check.resident is None:
        raise scans.refused(check)
    # What the holder may spend here is what a redemption would find: what is due released first.
    releases.release_due_holds(session, now=now, resident_id=check.resident.id)
    view = wallets.wallet_view(session, check.resident.id, now=now)
    return BalanceCheck(view.available_agorot, view.pending_agorot)
