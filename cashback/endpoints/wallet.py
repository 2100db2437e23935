"""A resident's own cashback."""

from __future__ import annotations

from fastapi import APIRouter

from cashback.endpoints.dependencies import AUTH
from cashback.schemas import WalletEntryOut, WalletOut, WalletPurchaseOut, WalletStatementOut
from cashback.service import purchases as purchases_service
from cashback.service import wallets as wallets_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from resident_card.accounts.dependencies import ResidentCaller
from resident_card.residents.service import records as residents

router = APIRouter(tags=["cashback"])


@router.get("/cashback/me", response_model=WalletOut, responses=responses(*AUTH))
def my_cashback(caller: ResidentCaller, session: DbSession, now: Now) -> WalletOut:
    """My cashback: what I can spend, what is held until return windows end, and my purchases."""
    resident = residents.resident_for_user(session, caller.id)
    if resident is None:
        return WalletOut(available_agorot=0, pending_agorot=0, owed_agorot=0, purchases=[])
    view = wallets_service.wallet_view(session, resident.id, now=now)
    return WalletOut(
        available_agorot=view.available_agorot,
        pending_agorot=view.pending_agorot,
        owed_agorot=view.owed_agorot,
        purchases=[
            WalletPurchaseOut(
                id=p.id,
                business=merchant.name,
                amount_agorot=p.amount_agorot,
                cashback_agorot=p.cashback_agorot,
                cashback_returned_agorot=p.cashback_returned_agorot,
                refunded_agorot=p.refunded_agorot,
                state=purchases_service.purchase_state(p),
                available_at=p.available_at,
                released_at=p.released_at,
                created_at=p.created_at,
            )
            for p, merchant in view.purchases
        ],
    )


@router.get("/cashback/me/statement", response_model=WalletStatementOut, responses=responses(*AUTH))
def my_cashback_statement(caller: ResidentCaller, session: DbSession) -> WalletStatementOut:
    """The entries behind my cashback, newest first: credited and held until the return window
    ends, released, spent, refunded, expired; each with its business."""
    resident = residents.resident_for_user(session, caller.id)
    if resident is None:
        return WalletStatementOut(entries=[])
    return WalletStatementOut(
        entries=[
            WalletEntryOut(
                kind=line.kind,
                amount_agorot=line.amount_agorot,
                at=line.at,
                held_until=line.held_until,
                business=line.business,
            )
            for line in wallets_service.wallet_statement(session, resident.id)
        ]
    )
