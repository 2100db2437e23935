"""Releasing held cashback: ``release_due_holds`` captures every hold whose return window is over.
The worker runs it every five minutes (``cashback.release_holds``, as ``toshav cashback
release-holds`` does) and, for one resident, whenever their cashback is used (a redemption, a
balance check at the till, a refund), so a resident never waits on the worker to spend what is
theirs; reading the wallet writes nothing. Newly available cashback first settles what the
resident owes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import HoldAlreadyCaptured, HoldAlreadyReleased, HoldExpired
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.holds import capture_hold, lock_accounts_of_holds
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction, postings_of
from cashback import notices
from cashback.models import Purchase, Wallet
from cashback.repository.purchases import PurchaseRepository
from cashback.service import accounts

RELEASE_BATCH = 500


@dataclass
class ReleaseReport:
    released: int = 0
    amount_agorot: int = 0
    recovered_agorot: int = 0  # of it, what settled residents' debts first


def release_due_holds(
    session: Session,
    *,
    now: datetime,
    resident_id: uuid.UUID | None = None,
    also_locking: Sequence[uuid.UUID] = (),
) -> ReleaseReport:
    """Capture the cashback holds whose return window is over (every resident's, or one's).

    For one resident, the accounts of their due holds (and of the holds ``also_locking`` names,
    which the caller changes next) are locked first, all at once in the ledger's order, after
    their wallet: a budget's stripes are never taken one by one in another order than a
    campaign's gathering takes them."""
    repository = PurchaseRepository(session)
    report = ReleaseReport()
    while True:
        due = repository.due(now, resident_id=resident_id, limit=RELEASE_BATCH)
        if not due:
            return report
        if resident_id is not None:
            accounts.lock_wallet(session, resident_id)
            lock_accounts_of_holds(session, [*(hold for _p, _r, hold in due), *also_locking])
        for purchase_id, owner, _hold in due:
            _release(session, purchase_id, owner, report, now=now)


def residents_with_due_holds(session: Session, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Residents with cashback past its return window still held (for the release command, which
    commits one resident at a time)."""
    return PurchaseRepository(session).residents_due(now, limit=limit)


def _release(
    session: Session,
    purchase_id: uuid.UUID,
    resident_id: uuid.UUID,
    report: ReleaseReport,
    *,
    now: datetime,
) -> None:
    wallet = accounts.lock_wallet(session, resident_id)
    purchase = PurchaseRepository(session).purchase(purchase_id, for_update=True)
    if (
        purchase is None
        or purchase.released_at is not None
        or purchase.hold_id is None
        or purchase.available_at > now
    ):
        return  # released by another run meanwhile
    try:
        transaction = capture_hold(session, purchase.hold_id, now=now)
    except (HoldExpired, HoldAlreadyReleased, HoldAlreadyCaptured):
        # Expired by `toshav ledger expire-holds` long after its window: the cashback went back to
        # the budget. Nothing is held for this purchase any more.
        purchase.hold_id = None
        purchase.released_at = now
        session.flush()
        return
    captured = sum(p.amount for p in postings_of(session, transaction.id) if p.amount > 0)
    purchase.released_at = now
    purchase.released_agorot = captured
    session.flush()
    report.released += 1
    report.amount_agorot += captured
    report.recovered_agorot += _settle_debt(session, wallet, captured, purchase, now=now)
    notices.cashback_spendable(session, purchase, captured)


def _settle_debt(
    session: Session, wallet: Wallet, up_to: int, purchase: Purchase, *, now: datetime
) -> int:
    """Newly available cashback first pays back what the resident owes (refunds of cashback they
    had already spent), from their cashback account to their receivable one."""
    owed = -get_balance(session, wallet.receivable_account_id, now=now).posted
    paying = min(owed, up_to)
    if paying <= 0:
        return 0
    post_transaction(
        session,
        idempotency_key=f"cashback:recovery:{purchase.id}",
        kind="cashback_recovery",
        postings=[
            PostingInput(wallet.cashback_account_id, -paying),
            PostingInput(wallet.receivable_account_id, paying),
        ],
        reference=f"purchase:{purchase.id}",
        now=now,
    )
    return paying
