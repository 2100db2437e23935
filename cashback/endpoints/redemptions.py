"""Paying with cashback at the till, and checking what a card's holder can spend there."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from benefits.ledger.exceptions import IdempotencyMismatch
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import (
    AmountInvalid,
    CardInvalid,
    IdempotencyKeyRequired,
    InsufficientCashback,
    MerchantNotApproved,
    NotMerchantStaff,
    TokenReplayed,
)
from cashback.roles import MerchantCaller
from cashback.schemas import BalanceCheckIn, BalanceCheckOut, RedemptionIn, RedemptionOut
from cashback.service import redemptions as redemptions_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.idempotency import REPLAYED, IdempotencyKey
from kernel.settings import AppSettings

router = APIRouter(tags=["cashback"])


@router.post(
    "/cashback/redemptions",
    status_code=status.HTTP_201_CREATED,
    response_model=RedemptionOut,
    responses=responses(
        *AUTH,
        NotMerchantStaff,
        IdempotencyKeyRequired,
        IdempotencyMismatch,
        MerchantNotApproved,
        AmountInvalid,
        CardInvalid,
        TokenReplayed,
        InsufficientCashback,
    ),
)
def redeem(
    body: RedemptionIn,
    caller: MerchantCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RedemptionOut:
    """A resident pays with their cashback at my business (their card scanned); the city owes us that."""
    answer = redemptions_service.redeem(
        session,
        settings,
        staff_user_id=caller.id,
        idempotency_key=idempotency_key,
        card_token=body.card_token,
        amount_agorot=body.amount_agorot,
        receipt=body.receipt,
        now=now,
    )
    if answer.replayed:
        response.headers[REPLAYED] = "true"
    redemption = answer.redemption
    return RedemptionOut(
        id=redemption.id,
        amount_agorot=redemption.amount_agorot,
        receipt=redemption.receipt,
        balance_after_agorot=redemption.balance_after_agorot,
        created_at=redemption.created_at,
    )


@router.post(
    "/cashback/balance",
    response_model=BalanceCheckOut,
    responses=responses(*AUTH, NotMerchantStaff, MerchantNotApproved, CardInvalid),
)
def check_balance(
    body: BalanceCheckIn,
    caller: MerchantCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> BalanceCheckOut:
    """How much cashback the card's holder can spend here now (the scanned code stays usable)."""
    found = redemptions_service.check_balance(
        session, settings, staff_user_id=caller.id, card_token=body.card_token, now=now
    )
    return BalanceCheckOut(
        available_agorot=found.available_agorot, pending_agorot=found.pending_agorot
    )
