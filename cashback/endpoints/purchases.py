"""Purchases at the till: recording one (the resident's card scanned), reading it, refunding it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from benefits.ledger.exceptions import IdempotencyMismatch
from cashback.endpoints.answers import purchase_outs, receipt_fields, refund_out
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import (
    AmountInvalid,
    BudgetExhausted,
    CampaignEnded,
    CampaignPaused,
    CapReached,
    CardInvalid,
    IdempotencyKeyRequired,
    MerchantNotApproved,
    NoCampaign,
    NotMerchantStaff,
    PurchaseNotFound,
    RefundOfRefund,
    RefundTooLarge,
    ResidentNotEligible,
    TokenReplayed,
)
from cashback.roles import MerchantCaller
from cashback.schemas import PurchaseIn, PurchaseOut, PurchaseReceiptOut, RefundIn, RefundOut
from cashback.service import merchants as merchants_service
from cashback.service import purchases as purchases_service
from cashback.service import refunds as refunds_service
from cashback.settings import CashbackAppSettings
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.idempotency import REPLAYED, IdempotencyKey
from kernel.kit.language import RequestLanguage
from kernel.limits.gate import TooManyRequests, spend

router = APIRouter(tags=["cashback"])


PURCHASE_ERRORS = (
    *AUTH,
    NotMerchantStaff,
    IdempotencyKeyRequired,
    IdempotencyMismatch,
    MerchantNotApproved,
    AmountInvalid,
    CardInvalid,
    TokenReplayed,
    NoCampaign,
    CampaignPaused,
    CampaignEnded,
    ResidentNotEligible,
    CapReached,
    BudgetExhausted,
)


@router.post(
    "/cashback/purchases",
    status_code=status.HTTP_201_CREATED,
    response_model=PurchaseReceiptOut,
    responses=responses(*PURCHASE_ERRORS, TooManyRequests),
)
def record_purchase(
    body: PurchaseIn,
    caller: MerchantCaller,
    request: Request,
    session: DbSession,
    settings: CashbackAppSettings,
    language: RequestLanguage,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PurchaseReceiptOut:
    """Record a purchase by a resident (their card scanned): the cashback credited, its campaign, and why."""
    spend(request, "purchase", account=str(caller.id))
    answer = purchases_service.record_purchase(
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
    return PurchaseReceiptOut.model_validate(
        receipt_fields(answer.purchase, answer.campaign, language)
    )


@router.get(
    "/cashback/purchases/{purchase_id}",
    response_model=PurchaseOut,
    responses=responses(*AUTH, NotMerchantStaff, PurchaseNotFound),
)
def purchase(
    purchase_id: uuid.UUID, caller: MerchantCaller, session: DbSession, language: RequestLanguage
) -> PurchaseOut:
    """A purchase at my business, with its refunds."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    found = purchases_service.get_purchase(session, merchant, purchase_id)
    return purchase_outs(session, [found], language)[0]


@router.post(
    "/cashback/purchases/{purchase_id}/refunds",
    status_code=status.HTTP_201_CREATED,
    response_model=RefundOut,
    responses=responses(
        *AUTH,
        NotMerchantStaff,
        PurchaseNotFound,
        RefundOfRefund,
        RefundTooLarge,
        AmountInvalid,
        IdempotencyKeyRequired,
        IdempotencyMismatch,
    ),
)
def refund(
    purchase_id: uuid.UUID,
    body: RefundIn,
    caller: MerchantCaller,
    session: DbSession,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RefundOut:
    """Refund all or part of a purchase at my business; the proportional cashback is taken back."""
    answer = refunds_service.refund_purchase(
        session,
        staff_user_id=caller.id,
        purchase_id=purchase_id,
        amount_agorot=body.amount_agorot,
        receipt=body.receipt,
        idempotency_key=idempotency_key,
        now=now,
    )
    if answer.replayed:
        response.headers[REPLAYED] = "true"
    return refund_out(answer.refund)
