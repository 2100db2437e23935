"""Cashback's part of a person's file and of their erasure: their purchases and what was refunded
of them, their redemptions, and the wallet that names their two ledger accounts (the accounts and
their postings are in the ledger's part).

Erased (docs/decisions/0020-erasure.md): cashback still held in a return window is released back
to its campaign's budget (a purchase's cashback was never theirs until its window ended); what is
spendable goes back to the city's cashback funding, where every campaign's budget comes from; and
what they owe back (refunds of cashback already spent) is written off from it. Each is a
transaction of kind ``erasure`` keyed by the erasure; the purchases, refunds and redemptions stay,
owned by the anonymised record, so the city's figures and the businesses' statements are whole."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress

from sqlalchemy.orm import Session

from benefits.ledger.exceptions import HoldAlreadyCaptured, HoldAlreadyReleased, HoldExpired
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.holds import release_hold
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from cashback.repository.rights import CashbackRecords
from cashback.service import accounts
from resident_card.rights.sections import Erased, ErasureStep, ExportSection, Holder, Json, record

ERASURE_KIND = "erasure"
# The cashier is another person; the business's keys of its own requests are not the person's.
NOT_THEIRS = ("staff_user_id", "idempotency_key", "request_hash")


def _export(session: Session, holder: Holder) -> Mapping[str, Json]:
    found = CashbackRecords(session)
    purchases = found.purchases(holder.resident_ids)
    redemptions = found.redemptions(holder.resident_ids)
    names = found.merchant_names(
        sorted({p.merchant_id for p in purchases} | {r.merchant_id for r in redemptions})
    )
    codes = found.campaign_codes(sorted({p.campaign_id for p in purchases}))
    return {
        "cashback_wallets": [record(wallet) for wallet in found.wallets(holder.resident_ids)],
        "purchases": [
            {
                **record(purchase, leave_out=NOT_THEIRS),
                "business": names.get(purchase.merchant_id, ""),
                "campaign": codes.get(purchase.campaign_id, ""),
            }
            for purchase in purchases
        ],
        "refunds": [
            record(refund, leave_out=NOT_THEIRS)
            for refund in found.refunds([purchase.id for purchase in purchases])
        ],
        "redemptions": [
            {
                **record(redemption, leave_out=NOT_THEIRS),
                "business": names.get(redemption.merchant_id, ""),
            }
            for redemption in redemptions
        ],
    }


def _erase(session: Session, erased: Erased) -> None:
    if erased.resident_id is None:
        return
    found = CashbackRecords(session)
    if not found.wallets([erased.resident_id]):
        return
    wallet = accounts.lock_wallet(session, erased.resident_id)
    for purchase in found.held_purchases(erased.resident_id):
        assert purchase.hold_id is not None  # selected so
        # Expired or resolved meanwhile: nothing is held for it any more, as the release run finds.
        with suppress(HoldExpired, HoldAlreadyReleased, HoldAlreadyCaptured):
            release_hold(session, purchase.hold_id, now=erased.now)
        purchase.hold_id = None
        purchase.released_at = erased.now
    funding = accounts.city_account(session, accounts.FUNDING, allow_negative=True)
    spendable = get_balance(session, wallet.cashback_account_id, now=erased.now).available
    if spendable > 0:
        post_transaction(
            session,
            idempotency_key=f"erasure:{erased.erasure_id}:{wallet.cashback_account_id}",
            kind=ERASURE_KIND,
            postings=[
                PostingInput(wallet.cashback_account_id, -spendable),
                PostingInput(funding.id, spendable),
            ],
            reference=f"erasure:{erased.erasure_id}",
            created_by=erased.actor_id,
            now=erased.now,
        )
    owed = -get_balance(session, wallet.receivable_account_id, now=erased.now).posted
    if owed > 0:
        post_transaction(
            session,
            idempotency_key=f"erasure:{erased.erasure_id}:{wallet.receivable_account_id}",
            kind=ERASURE_KIND,
            postings=[
                PostingInput(funding.id, -owed),
                PostingInput(wallet.receivable_account_id, owed),
            ],
            reference=f"erasure:{erased.erasure_id}",
            created_by=erased.actor_id,
            now=erased.now,
        )
    session.flush()


EXPORT = ExportSection(export=_export)
ERASURE = ErasureStep(erase=_erase)
