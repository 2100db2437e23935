"""Refunds: goods returned take back the proportional cashback, from the hold in the return
window, from the balance after it, and as the resident's debt for what they already spent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import IdempotencyMismatch
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.holds import create_hold, get_hold, hold_postings_of, release_hold
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from cashback import earning
from cashback.exceptions import PurchaseNotFound, RefundOfRefund, RefundTooLarge
from cashback.models import Campaign, Purchase, Refund, Wallet
from cashback.repository.purchases import PurchaseRepository
from cashback.repository.refunds import RefundRepository
from cashback.service import accounts, campaigns, checks, merchants, releases


@dataclass(frozen=True)
class RefundAnswer:
    refund: Refund
    purchase: Purchase
    replayed: bool


def refund_purchase(
    session: Session,
    *,
    staff_user_id: uuid.UUID,
    purchase_id: uuid.UUID,
    amount_agorot: int,
    receipt: str | None,
    idempotency_key: str | None,
    now: datetime,
) -> RefundAnswer:
    """Goods returned: the proportional cashback is taken back — from the hold in the return window,
    from the balance after it, and what the resident already spent is recorded as owed."""
    merchant = merchants.staff_merchant(session, staff_user_id)
    repository = PurchaseRepository(session)
    found = repository.purchase(purchase_id)
    if found is None or found.merchant_id != merchant.id:
        refund = RefundRepository(session).get(purchase_id)
        if refund is not None and refund.merchant_id == merchant.id:
            raise RefundOfRefund()
        raise PurchaseNotFound()
    key = checks.check_idempotency_key(idempotency_key) if idempotency_key is not None else None
    checks.check_amount(amount_agorot)

    wallet = accounts.lock_wallet(session, found.resident_id)
    if key is not None:
        earlier = RefundRepository(session).by_key(found.id, key)
        if earlier is not None:
            if earlier.amount_agorot != amount_agorot or earlier.receipt != receipt:
                raise IdempotencyMismatch()
            return RefundAnswer(earlier, found, True)
    releases.release_due_holds(
        session,
        now=now,
        resident_id=found.resident_id,
        also_locking=[found.hold_id] if found.hold_id is not None else [],
    )
    purchase = repository.purchase(found.id, for_update=True)
    assert purchase is not None  # just read; purchases are never deleted
    remaining = purchase.amount_agorot - purchase.refunded_agorot
    if amount_agorot > remaining:
        raise RefundTooLarge(remaining=earning.format_agorot(remaining))
    take = earning.taken_back(
        purchase.cashback_agorot,
        purchase.amount_agorot,
        purchase.refunded_agorot + amount_agorot,
        purchase.cashback_returned_agorot,
    )
    campaign = campaigns.get_campaign(session, purchase.campaign_id)
    refund_id = uuid.uuid4()
    from_hold = from_balance = shortfall = 0
    transaction_id: uuid.UUID | None = None
    if take > 0 and purchase.released_at is None and purchase.hold_id is not None:
        from_hold = take
        _shrink_hold(session, purchase, wallet, campaign, by=take, now=now)
    elif take > 0:
        available = get_balance(session, wallet.cashback_account_id, now=now).available
        from_balance = min(take, max(available, 0))
        shortfall = take - from_balance
        # All of it goes back to the budget: what the resident already spent, as their debt.
        postings = [PostingInput(campaign.budget_account_id, take)]
        if from_balance:
            postings.append(PostingInput(wallet.cashback_account_id, -from_balance))
        if shortfall:
            postings.append(PostingInput(wallet.receivable_account_id, -shortfall))
        transaction_id = post_transaction(
            session,
            idempotency_key=f"cashback:refund:{refund_id}",
            kind="cashback_refund",
            postings=postings,
            reference=f"purchase:{purchase.id}",
            created_by=staff_user_id,
            now=now,
        ).id
    purchase.refunded_agorot += amount_agorot
    purchase.cashback_returned_agorot += take
    refund = RefundRepository(session).add(
        Refund(
            id=refund_id,
            created_at=now,
            purchase_id=purchase.id,
            merchant_id=merchant.id,
            staff_user_id=staff_user_id,
            idempotency_key=key,
            amount_agorot=amount_agorot,
            receipt=receipt,
            cashback_taken_back_agorot=take,
            from_hold_agorot=from_hold,
            from_balance_agorot=from_balance,
            shortfall_agorot=shortfall,
            transaction_id=transaction_id,
        )
    )
    return RefundAnswer(refund, purchase, False)


def _shrink_hold(
    session: Session,
    purchase: Purchase,
    wallet: Wallet,
    campaign: Campaign,
    *,
    by: int,
    now: datetime,
) -> None:
    """Within the return window: void the hold, and hold what is left until the same moment."""
    assert purchase.hold_id is not None
    old = get_hold(session, purchase.hold_id)
    # What is left is held again from the account of the budget it was held from (a stripe).
    [budget_side] = [p.account_id for p in hold_postings_of(session, old.id) if p.amount < 0]
    release_hold(session, old.id, now=now)
    left = purchase.cashback_agorot - purchase.cashback_returned_agorot - by
    if left <= 0:
        purchase.hold_id = None
        return
    purchase.hold_count += 1
    hold = create_hold(
        session,
        idempotency_key=f"cashback:purchase:{purchase.id}:hold:{purchase.hold_count}",
        kind="cashback",
        postings=[
            PostingInput(budget_side, -left),
            PostingInput(wallet.cashback_account_id, left),
        ],
        expires_at=old.expires_at,
        reference=f"purchase:{purchase.id}",
        metadata=dict(old.details),
        created_by=old.created_by,
        now=now,
    )
    purchase.hold_id = hold.id


def refunds_of_each(
    session: Session, purchases: Sequence[Purchase]
) -> dict[uuid.UUID, list[Refund]]:
    """Each purchase's refunds, oldest first, by purchase."""
    return RefundRepository(session).of_each(p.id for p in purchases)
