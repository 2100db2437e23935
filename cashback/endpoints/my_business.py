"""A business's staff: applying to the scheme, their business as the city sees it, its purchases."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from cashback.endpoints.answers import brief, merchant_fields, purchase_outs
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import (
    AddressNotInCity,
    AlreadyMerchantStaff,
    InvalidRegistryNumber,
    NotAMerchantAccount,
    NotMerchantStaff,
    RegistryNumberTaken,
)
from cashback.models import Merchant, MerchantStatus
from cashback.roles import MerchantCaller
from cashback.schemas import MerchantApplicationIn, MerchantOut, MyMerchantOut, PurchaseOut
from cashback.service import campaigns as campaigns_service
from cashback.service import merchants as merchants_service
from cashback.service import purchases as purchases_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from kernel.kit.pagination import PaginationQuery
from resident_card.city.models import Neighbourhood, Street

router = APIRouter(tags=["cashback"])


def _place(session: Session, merchant: Merchant) -> tuple[Street, Neighbourhood]:
    return merchants_service.places(session, [merchant])[merchant.id]


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
    merchant = merchants_service.apply(
        session,
        merchants_service.Application(
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
    return MerchantOut.model_validate(merchant_fields(merchant, _place(session, merchant)))


@router.get(
    "/cashback/merchants/me",
    response_model=MyMerchantOut,
    responses=responses(*AUTH, NotMerchantStaff),
)
def my_merchant(caller: MerchantCaller, session: DbSession, now: Now) -> MyMerchantOut:
    """My business: its status, what the city owes it, and the campaigns running for it."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    campaigns = (
        campaigns_service.campaigns_for(session, merchant, now=now)
        if merchant.status == MerchantStatus.approved
        else []
    )
    return MyMerchantOut.model_validate(
        {
            **merchant_fields(merchant, _place(session, merchant)),
            "owed_agorot": merchants_service.owed_to(session, merchant, now=now),
            "campaigns": [brief(c) for c in campaigns],
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
    pagination: PaginationQuery,
) -> list[PurchaseOut]:
    """My business's purchases, newest first."""
    merchant = merchants_service.staff_merchant(session, caller.id)
    found = purchases_service.purchases_of(
        session, merchant, limit=pagination.limit, offset=pagination.offset
    )
    return purchase_outs(session, found, language)
