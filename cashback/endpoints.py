"""The cashback API: businesses' staff at the till, residents' cashback, and the city's clerks."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from benefits.ledger.exceptions import IdempotencyMismatch
from cashback import rules, service
from cashback.exceptions import (
    AddressNotInCity,
    AlreadyMerchantStaff,
    AmountInvalid,
    BudgetExhausted,
    CampaignEnded,
    CampaignExists,
    CampaignNotFound,
    CampaignNotPaused,
    CampaignPaused,
    CapReached,
    CardInvalid,
    FlagAlreadyResolved,
    FlagNotFound,
    IdempotencyKeyRequired,
    InsufficientCashback,
    InvalidCampaign,
    InvalidMerchantTransition,
    InvalidRegistryNumber,
    MerchantNotApproved,
    MerchantNotFound,
    NoCampaign,
    NotAMerchantAccount,
    NotMerchantStaff,
    PurchaseNotFound,
    RefundOfRefund,
    RefundTooLarge,
    RegistryNumberTaken,
    ResidentNotEligible,
    StatementNotFound,
    TokenReplayed,
)
from cashback.models import (
    BusinessCategory,
    Campaign,
    Flag,
    FlagOutcome,
    FlagStatus,
    Merchant,
    MerchantStatus,
    Purchase,
    Refund,
    Settlement,
)
from cashback.schemas import (
    AddressOut,
    AdminMerchantOut,
    BalanceCheckIn,
    BalanceCheckOut,
    BudgetOut,
    CampaignActionIn,
    CampaignBriefOut,
    CampaignChangeIn,
    CampaignEndOut,
    CampaignIn,
    CampaignOut,
    FlaggedPurchaseOut,
    FlagOut,
    FlagResolveIn,
    Label,
    MerchantApplicationIn,
    MerchantDecisionIn,
    MerchantOut,
    MyMerchantOut,
    PurchaseIn,
    PurchaseOut,
    PurchaseReceiptOut,
    RedemptionIn,
    RedemptionOut,
    RefundIn,
    RefundOut,
    StaffIn,
    StatementDetailOut,
    StatementOut,
    TopUpIn,
    TopUpOut,
    WalletOut,
    WalletPurchaseOut,
)
from resident_card.accounts.dependencies import (
    AdminCaller,
    Caller,
    ResidentCaller,
    StaffReader,
    require_roles,
)
from resident_card.accounts.models import Role
from resident_card.cards.summary import (
    BenefitLine,
    register_programme_source,
    register_summary_source,
)
from resident_card.clock import Now
from resident_card.database import DbSession
from resident_card.errors import Forbidden, InvalidToken, NotAuthenticated, responses
from resident_card.i18n import Language, Text, negotiate
from resident_card.residents.service import records as residents
from resident_card.settings import AppSettings

router = APIRouter(tags=["cashback"])

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
MerchantCaller = Annotated[Caller, Depends(require_roles(Role.merchant))]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Period = Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="A month: YYYY-MM.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Your id for this request (1 to 200 visible characters): send it again to "
        "retry safely.",
    ),
]
REPLAYED = "Idempotent-Replayed"


def request_language(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


RequestLanguage = Annotated[Language, Depends(request_language)]


# --- shaping answers -------------------------------------------------------------------------------


def _label(text: Text) -> Label:
    return Label(he=text["he"], ar=text["ar"], en=text["en"])


def _merchant_fields(session: Session, merchant: Merchant) -> dict[str, object]:
    street, neighbourhood = service.places(session, [merchant])[merchant.id]
    return {
        "id": merchant.id,
        "registry_number": merchant.registry_number,
        "name": merchant.name,
        "category": merchant.category,
        "category_name": _label(rules.CATEGORY_NAMES[merchant.category]),
        "address": AddressOut(
            street=_label(street.names),
            street_code=street.code,
            house_number=merchant.house_number,
            neighbourhood=_label(neighbourhood.names),
            neighbourhood_code=neighbourhood.code,
        ),
        "status": merchant.status,
        "status_reason": merchant.status_reason,
        "status_changed_at": merchant.status_changed_at,
        "created_at": merchant.created_at,
    }


def _admin_merchant(session: Session, merchant: Merchant, now: datetime) -> AdminMerchantOut:
    return AdminMerchantOut.model_validate(
        {
            **_merchant_fields(session, merchant),
            "staff_user_ids": service.staff_of(session, merchant.id),
            "owed_agorot": service.owed_to(session, merchant, now=now),
        }
    )


def _brief(campaign: Campaign, purchase: Purchase | None = None) -> CampaignBriefOut:
    """The campaign in short; for a purchase, as it was then (its rate and names may have changed
    since, and a retried purchase gets the very same answer)."""
    names, rate_bp = campaign.names, campaign.rate_bp
    if purchase is not None:
        names, rate_bp = service.terms_got(purchase, campaign)
    return CampaignBriefOut(
        id=campaign.id, code=campaign.code, names=_label(names), rate_bp=rate_bp
    )


def _campaign_out(session: Session, campaign: Campaign, now: datetime) -> CampaignOut:
    budget = service.budget_of(session, campaign, now=now)
    return CampaignOut(
        id=campaign.id,
        code=campaign.code,
        names=_label(campaign.names),
        rate_bp=campaign.rate_bp,
        min_purchase_agorot=campaign.min_purchase_agorot,
        cap_per_purchase_agorot=campaign.cap_per_purchase_agorot,
        cap_per_resident_month_agorot=campaign.cap_per_resident_month_agorot,
        cap_per_resident_business_day_agorot=campaign.cap_per_resident_business_day_agorot,
        categories=[BusinessCategory(c) for c in campaign.categories],
        neighbourhoods=list(campaign.neighbourhoods),
        programme_code=campaign.programme_code,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        running=campaign.is_running(now),
        state=campaign.state(now),
        paused_at=campaign.paused_at,
        ended_at=campaign.ended_at,
        returned_agorot=campaign.returned_agorot,
        budget=BudgetOut(
            available_agorot=budget.available,
            held_agorot=budget.reserved,
            posted_agorot=budget.posted,
        ),
    )


def _receipt_fields(
    purchase: Purchase, campaign: Campaign, language: Language
) -> dict[str, object]:
    return {
        "purchase_id": purchase.id,
        "amount_agorot": purchase.amount_agorot,
        "receipt": purchase.receipt,
        "cashback_agorot": purchase.cashback_agorot,
        "campaign": _brief(campaign, purchase),
        "why": [rules.render_reason(reason, language) for reason in purchase.explanation],
        "available_at": purchase.available_at,
        "created_at": purchase.created_at,
    }


def _refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.id,
        purchase_id=refund.purchase_id,
        amount_agorot=refund.amount_agorot,
        receipt=refund.receipt,
        cashback_taken_back_agorot=refund.cashback_taken_back_agorot,
        from_hold_agorot=refund.from_hold_agorot,
        from_balance_agorot=refund.from_balance_agorot,
        shortfall_agorot=refund.shortfall_agorot,
        created_at=refund.created_at,
    )


def _purchase_out(session: Session, purchase: Purchase, language: Language) -> PurchaseOut:
    campaign = service.get_campaign(session, purchase.campaign_id)
    return PurchaseOut.model_validate(
        {
            **_receipt_fields(purchase, campaign, language),
            "state": service.purchase_state(purchase),
            "refunded_agorot": purchase.refunded_agorot,
            "cashback_returned_agorot": purchase.cashback_returned_agorot,
            "refunds": [_refund_out(r) for r in service.refunds_of(session, purchase)],
        }
    )


def _statement_out(settlement: Settlement) -> StatementOut:
    return StatementOut(
        period=settlement.period,
        purchases=settlement.purchases,
        purchases_agorot=settlement.purchases_agorot,
        cashback_agorot=settlement.cashback_agorot,
        refunds_agorot=settlement.refunds_agorot,
        redemptions=settlement.redemptions,
        paid_agorot=settlement.paid_agorot,
        created_at=settlement.created_at,
    )


def _flag_out(flag: Flag, purchase: Purchase, merchant: Merchant) -> FlagOut:
    return FlagOut(
        id=flag.id,
        signal=flag.signal,
        signal_name=_label(rules.SIGNALS[flag.signal]),
        details=flag.details,
        status=FlagStatus(flag.status),
        outcome=FlagOutcome(flag.outcome) if flag.outcome else None,
        resolution_reason=flag.resolution_reason,
        resolved_by=flag.resolved_by,
        resolved_at=flag.resolved_at,
        created_at=flag.created_at,
        merchant_id=merchant.id,
        merchant_name=merchant.name,
        purchase=FlaggedPurchaseOut(
            id=purchase.id,
            resident_id=purchase.resident_id,
            amount_agorot=purchase.amount_agorot,
            cashback_agorot=purchase.cashback_agorot,
            receipt=purchase.receipt,
            created_at=purchase.created_at,
        ),
    )


# --- a business's staff ----------------------------------------------------------------------------

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
    "/cashback/merchants",
    status_code=status.HTTP_201_CREATED,
    response_model=MerchantOut,
    responses=responses(
        *AUTH,
        InvalidRegistryNumber,
        RegistryNumberTaken,
        AddressNotInCity,
        AlreadyMerchantStaff,
        NotAMerchantAccount,
    ),
)
def apply(
    body: MerchantApplicationIn, caller: MerchantCaller, session: DbSession, now: Now
) -> MerchantOut:
    """Apply my business to the cashback scheme; I become its staff, and a clerk decides."""
    merchant = service.apply(
        session,
        service.Application(
            registry_number=body.registry_number,
            name=body.name,
            category=body.category,
            street_code=body.street_code,
            house_number=body.house_number,
        ),
        actor_id=caller.id,
        as_staff=True,
        now=now,
    )
    return MerchantOut.model_validate(_merchant_fields(session, merchant))


@router.get(
    "/cashback/merchants/me",
    response_model=MyMerchantOut,
    responses=responses(*AUTH, NotMerchantStaff),
)
def my_merchant(caller: MerchantCaller, session: DbSession, now: Now) -> MyMerchantOut:
    """My business: its status, what the city owes it, and the campaigns running for it."""
    merchant = service.staff_merchant(session, caller.id)
    campaigns = (
        service.campaigns_for(session, merchant, now=now)
        if merchant.status == MerchantStatus.approved
        else []
    )
    return MyMerchantOut.model_validate(
        {
            **_merchant_fields(session, merchant),
            "owed_agorot": service.owed_to(session, merchant, now=now),
            "campaigns": [_brief(c) for c in campaigns],
        }
    )


@router.get(
    "/cashback/merchants/me/purchases",
    response_model=list[PurchaseOut],
    responses=responses(*AUTH, NotMerchantStaff),
)
def my_purchases(
    caller: MerchantCaller,
    session: DbSession,
    language: RequestLanguage,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[PurchaseOut]:
    """My business's purchases, newest first."""
    merchant = service.staff_merchant(session, caller.id)
    return [
        _purchase_out(session, p, language)
        for p in service.purchases_of(session, merchant, limit=limit, offset=offset)
    ]


@router.get(
    "/cashback/merchants/me/statements",
    response_model=list[StatementOut],
    responses=responses(*AUTH, NotMerchantStaff),
)
def my_statements(caller: MerchantCaller, session: DbSession) -> list[StatementOut]:
    """My business's monthly statements and the city's payments, newest first."""
    merchant = service.staff_merchant(session, caller.id)
    return [_statement_out(s) for s in service.statements_of(session, merchant)]


@router.get(
    "/cashback/merchants/me/statements/{period}",
    response_model=StatementDetailOut,
    responses=responses(*AUTH, NotMerchantStaff, StatementNotFound),
)
def my_statement(period: Period, caller: MerchantCaller, session: DbSession) -> StatementDetailOut:
    """One month's statement of my business, line by line."""
    merchant = service.staff_merchant(session, caller.id)
    settlement = service.statement_of(session, merchant, period)
    lines = list(csv.DictReader(io.StringIO(settlement.statement_csv)))
    return StatementDetailOut.model_validate(
        {**_statement_out(settlement).model_dump(), "lines": lines}
    )


@router.get(
    "/cashback/merchants/me/statements/{period}/csv",
    response_class=Response,
    responses={
        **responses(*AUTH, NotMerchantStaff, StatementNotFound),
        200: {"content": {"text/csv": {}}, "description": "The statement as CSV."},
    },
)
def my_statement_csv(period: Period, caller: MerchantCaller, session: DbSession) -> Response:
    """One month's statement of my business as CSV (as written under the service's var_dir)."""
    merchant = service.staff_merchant(session, caller.id)
    settlement = service.statement_of(session, merchant, period)
    return Response(
        content=settlement.statement_csv,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{merchant.registry_number}-{settlement.period}.csv"'
            )
        },
    )


@router.post(
    "/cashback/purchases",
    status_code=status.HTTP_201_CREATED,
    response_model=PurchaseReceiptOut,
    responses=responses(*PURCHASE_ERRORS),
)
def record_purchase(
    body: PurchaseIn,
    caller: MerchantCaller,
    session: DbSession,
    settings: AppSettings,
    language: RequestLanguage,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> PurchaseReceiptOut:
    """Record a purchase by a resident (their card scanned): the cashback credited, its campaign, and why."""
    answer = service.record_purchase(
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
        _receipt_fields(answer.purchase, answer.campaign, language)
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
    merchant = service.staff_merchant(session, caller.id)
    return _purchase_out(session, service.get_purchase(session, merchant, purchase_id), language)


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
    answer = service.refund_purchase(
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
    return _refund_out(answer.refund)


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
    answer = service.redeem(
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
    found = service.check_balance(
        session, settings, staff_user_id=caller.id, card_token=body.card_token, now=now
    )
    return BalanceCheckOut(
        available_agorot=found.available_agorot, pending_agorot=found.pending_agorot
    )


# --- residents -------------------------------------------------------------------------------------


@router.get("/cashback/me", response_model=WalletOut, responses=responses(*AUTH))
def my_cashback(caller: ResidentCaller, session: DbSession, now: Now) -> WalletOut:
    """My cashback: what I can spend, what is held until return windows end, and my purchases."""
    resident = residents.resident_for_user(session, caller.id)
    if resident is None:
        return WalletOut(available_agorot=0, pending_agorot=0, owed_agorot=0, purchases=[])
    view = service.wallet_view(session, resident.id, now=now)
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
                state=service.purchase_state(p),
                available_at=p.available_at,
                created_at=p.created_at,
            )
            for p, merchant in view.purchases
        ],
    )


# --- the city's clerks -----------------------------------------------------------------------------


@router.get(
    "/admin/cashback/merchants", response_model=list[AdminMerchantOut], responses=responses(*AUTH)
)
def merchants(
    caller: StaffReader,
    session: DbSession,
    now: Now,
    status_filter: Annotated[MerchantStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AdminMerchantOut]:
    """Businesses in the scheme or applying to it, newest first (staff)."""
    return [
        _admin_merchant(session, m, now)
        for m in service.list_merchants(session, status=status_filter, limit=limit, offset=offset)
    ]


@router.post(
    "/admin/cashback/merchants",
    status_code=status.HTTP_201_CREATED,
    response_model=AdminMerchantOut,
    responses=responses(*AUTH, InvalidRegistryNumber, RegistryNumberTaken, AddressNotInCity),
)
def file_application(
    body: MerchantApplicationIn, caller: AdminCaller, session: DbSession, now: Now
) -> AdminMerchantOut:
    """File a business's application received on paper (audited); staff are added separately."""
    merchant = service.apply(
        session,
        service.Application(
            registry_number=body.registry_number,
            name=body.name,
            category=body.category,
            street_code=body.street_code,
            house_number=body.house_number,
        ),
        actor_id=caller.id,
        as_staff=False,
        now=now,
    )
    return _admin_merchant(session, merchant, now)


@router.get(
    "/admin/cashback/merchants/{merchant_id}",
    response_model=AdminMerchantOut,
    responses=responses(*AUTH, MerchantNotFound),
)
def merchant(
    merchant_id: uuid.UUID, caller: StaffReader, session: DbSession, now: Now
) -> AdminMerchantOut:
    """One business, its staff accounts and what the city owes it (staff)."""
    return _admin_merchant(session, service.get_merchant(session, merchant_id), now)


def _decide_merchant(to: MerchantStatus, verb: str) -> None:
    def decide(
        merchant_id: uuid.UUID,
        body: MerchantDecisionIn,
        caller: AdminCaller,
        session: DbSession,
        now: Now,
    ) -> AdminMerchantOut:
        merchant = service.change_status(
            session, merchant_id, to=to, reason=body.reason, actor_id=caller.id, now=now
        )
        return _admin_merchant(session, merchant, now)

    decide.__name__ = f"{verb}_merchant"
    decide.__doc__ = f"{verb.capitalize()} a business, with a reason (written to the audit log)."
    router.add_api_route(
        f"/admin/cashback/merchants/{{merchant_id}}/{verb}",
        decide,
        methods=["POST"],
        response_model=AdminMerchantOut,
        responses=responses(*AUTH, MerchantNotFound, InvalidMerchantTransition),
    )


_decide_merchant(MerchantStatus.approved, "approve")
_decide_merchant(MerchantStatus.suspended, "suspend")
_decide_merchant(MerchantStatus.rejected, "reject")


@router.post(
    "/admin/cashback/merchants/{merchant_id}/staff",
    status_code=status.HTTP_201_CREATED,
    response_model=AdminMerchantOut,
    responses=responses(*AUTH, MerchantNotFound, NotAMerchantAccount, AlreadyMerchantStaff),
)
def add_staff(
    merchant_id: uuid.UUID, body: StaffIn, caller: AdminCaller, session: DbSession, now: Now
) -> AdminMerchantOut:
    """Make a merchant account staff of a business (audited)."""
    service.add_staff(session, merchant_id, body.user_id, actor_id=caller.id)
    return _admin_merchant(session, service.get_merchant(session, merchant_id), now)


@router.delete(
    "/admin/cashback/merchants/{merchant_id}/staff/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, MerchantNotFound),
)
def remove_staff(
    merchant_id: uuid.UUID, user_id: uuid.UUID, caller: AdminCaller, session: DbSession
) -> Response:
    """Take a staff account off a business (audited)."""
    service.remove_staff(session, merchant_id, user_id, actor_id=caller.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/admin/cashback/campaigns",
    status_code=status.HTTP_201_CREATED,
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignExists, InvalidCampaign),
)
def create_campaign(
    body: CampaignIn, caller: AdminCaller, session: DbSession, now: Now
) -> CampaignOut:
    """Create a campaign with an empty budget (audited); fund it with a top-up."""
    campaign = service.create_campaign(
        session,
        service.CampaignTerms(
            code=body.code,
            names={"he": body.names.he, "ar": body.names.ar, "en": body.names.en},
            rate_bp=body.rate_bp,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            min_purchase_agorot=body.min_purchase_agorot,
            cap_per_purchase_agorot=body.cap_per_purchase_agorot,
            cap_per_resident_month_agorot=body.cap_per_resident_month_agorot,
            cap_per_resident_business_day_agorot=body.cap_per_resident_business_day_agorot,
            categories=tuple(body.categories),
            neighbourhoods=tuple(body.neighbourhoods),
            programme_code=body.programme_code,
        ),
        actor_id=caller.id,
        now=now,
    )
    return _campaign_out(session, campaign, now)


@router.get(
    "/admin/cashback/campaigns", response_model=list[CampaignOut], responses=responses(*AUTH)
)
def campaigns(
    caller: StaffReader, session: DbSession, now: Now, limit: Limit = 50, offset: Offset = 0
) -> list[CampaignOut]:
    """Every campaign with its budget, newest first (staff)."""
    return [
        _campaign_out(session, c, now)
        for c in service.list_campaigns(session, limit=limit, offset=offset)
    ]


@router.get(
    "/admin/cashback/campaigns/{campaign_id}",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound),
)
def campaign(
    campaign_id: uuid.UUID, caller: StaffReader, session: DbSession, now: Now
) -> CampaignOut:
    """One campaign and its budget (staff)."""
    return _campaign_out(session, service.get_campaign(session, campaign_id), now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/top-ups",
    status_code=status.HTTP_201_CREATED,
    response_model=TopUpOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, AmountInvalid, IdempotencyMismatch),
)
def top_up(
    campaign_id: uuid.UUID,
    body: TopUpIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
    response: Response,
) -> TopUpOut:
    """Fund a campaign's budget from the city (audited); the same idempotency key is a safe retry."""
    transaction, created = service.top_up(
        session,
        campaign_id,
        amount_agorot=body.amount_agorot,
        reason=body.reason,
        idempotency_key=body.idempotency_key,
        actor_id=caller.id,
        now=now,
    )
    if not created:
        response.headers[REPLAYED] = "true"
    campaign = service.get_campaign(session, campaign_id)
    out = _campaign_out(session, campaign, now)
    return TopUpOut(
        transaction_id=transaction.id, amount_agorot=body.amount_agorot, budget=out.budget
    )


@router.patch(
    "/admin/cashback/campaigns/{campaign_id}",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, InvalidCampaign),
)
def change_campaign(
    campaign_id: uuid.UUID,
    body: CampaignChangeIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignOut:
    """Change a campaign's names, rate, minimum, caps, categories, neighbourhoods or end (audited)."""
    campaign = service.change_campaign(
        session, campaign_id, body.changes(), reason=body.reason, actor_id=caller.id, now=now
    )
    return _campaign_out(session, campaign, now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/pause",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, CampaignPaused),
)
def pause_campaign(
    campaign_id: uuid.UUID,
    body: CampaignActionIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignOut:
    """Pause a campaign: purchases are refused until it is resumed (audited)."""
    campaign = service.pause_campaign(
        session, campaign_id, reason=body.reason, actor_id=caller.id, now=now
    )
    return _campaign_out(session, campaign, now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/resume",
    response_model=CampaignOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded, CampaignNotPaused),
)
def resume_campaign(
    campaign_id: uuid.UUID,
    body: CampaignActionIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignOut:
    """Resume a paused campaign (audited)."""
    campaign = service.resume_campaign(
        session, campaign_id, reason=body.reason, actor_id=caller.id, now=now
    )
    return _campaign_out(session, campaign, now)


@router.post(
    "/admin/cashback/campaigns/{campaign_id}/end",
    response_model=CampaignEndOut,
    responses=responses(*AUTH, CampaignNotFound, CampaignEnded),
)
def end_campaign(
    campaign_id: uuid.UUID,
    body: CampaignActionIn,
    caller: AdminCaller,
    session: DbSession,
    now: Now,
) -> CampaignEndOut:
    """End a campaign now and give its unspent budget back to the city (audited)."""
    answer = service.end_campaign(
        session, campaign_id, reason=body.reason, actor_id=caller.id, now=now
    )
    return CampaignEndOut(
        campaign=_campaign_out(session, answer.campaign, now),
        returned_agorot=answer.returned_agorot,
    )


@router.get("/admin/cashback/flags", response_model=list[FlagOut], responses=responses(*AUTH))
def flags(
    caller: StaffReader,
    session: DbSession,
    status_filter: Annotated[FlagStatus | None, Query(alias="status")] = FlagStatus.open,
    merchant_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[FlagOut]:
    """Purchases flagged by the fraud signals, newest first; open ones unless asked (staff)."""
    return [
        _flag_out(flag, purchase, merchant)
        for flag, purchase, merchant in service.list_flags(
            session, status=status_filter, merchant_id=merchant_id, limit=limit, offset=offset
        )
    ]


@router.post(
    "/admin/cashback/flags/{flag_id}/resolve",
    response_model=FlagOut,
    responses=responses(*AUTH, FlagNotFound, FlagAlreadyResolved),
)
def resolve_flag(
    flag_id: uuid.UUID, body: FlagResolveIn, caller: AdminCaller, session: DbSession, now: Now
) -> FlagOut:
    """Resolve a flag, dismissed or confirmed, with a reason (written to the audit log)."""
    flag = service.resolve_flag(
        session, flag_id, outcome=body.outcome, reason=body.reason, actor_id=caller.id, now=now
    )
    purchase_row, merchant_row = service.flag_context(session, flag)
    return _flag_out(flag, purchase_row, merchant_row)


# --- what the wallet and the card verification show -----------------------------------------------

CASHBACK_LABEL: Text = {"he": "החזר כספי", "ar": "استرداد نقدي", "en": "Cashback"}


@register_summary_source
def cashback_line(session: Session, resident_id: uuid.UUID, now: datetime) -> Sequence[BenefitLine]:
    """The wallet's cashback line, once the resident has earned any: what they can spend now."""
    available = service.available_cashback(session, resident_id, now=now)
    if available is None:
        return []
    return [BenefitLine(code="cashback", label=CASHBACK_LABEL, balance=available, unit="ILS")]


@register_programme_source
def cashback_programmes(
    session: Session, resident_id: uuid.UUID, merchant_user_id: uuid.UUID, now: datetime
) -> Sequence[str]:
    """For a business's scan: the cashback programme, when a campaign runs there for this resident."""
    return service.programmes_at(session, resident_id, merchant_user_id, now=now)
