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
from cashback.roles import ApplicantCaller, MerchantCaller
from cashback.schemas import (
    ApplicationWithAccountIn,
    MerchantApplicationIn,
    MerchantOut,
    MyMerchantOut,
    PurchaseOut,
)
from cashback.service import campaigns as campaigns_service
from cashback.service import merchants as merchants_service
from cashback.service import purchases as purchases_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from kernel.kit.pagination import PaginationQuery
from kernel.settings import AppSettings
from resident_card.accounts import service as accounts
from resident_card.accounts.exceptions import InvalidUsername, UsernameTaken, WeakPassword
from resident_card.accounts.models import Role
from resident_card.city.models import Neighbourhood, Street

router = APIRouter(tags=["cashback"])


def _place(session: Session, merchant: Merchant) -> tuple[Street, Neighbourhood]:
    return merchants_service.places(session, [merchant])[merchant.id]


def _application(body: MerchantApplicationIn) -> merchants_service.Application:
    return merchants_service.Application(
        registry_number=body.registry_number,
        name=body.name,
        category=body.category,
        street_code=body.street_code,
        house_number=body.house_number,
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
    body: MerchantApplicationIn, caller: ApplicantCaller, session: DbSession, now: Now
) -> MerchantOut:
    """Apply my business to the cashback scheme with my login (a resident's too): I become its
    owner, and once a clerk approves it my login also opens its till."""
    merchant = merchants_service.apply(
        session, _application(body), actor_id=caller.id, as_staff=True, now=now
    )
    return MerchantOut.model_validate(merchant_fields(merchant, _place(session, merchant)))


@router.post(
    "/cashback/applications",
    status_code=status.HTTP_201_CREATED,
    response_model=MerchantOut,
    responses=responses(
        InvalidUsername,
        UsernameTaken,
        WeakPassword,
        InvalidRegistryNumber,
        RegistryNumberTaken,
        AddressNotInCity,
    ),
)
def apply_with_new_login(
    body: ApplicationWithAccountIn, session: DbSession, settings: AppSettings, now: Now
) -> MerchantOut:
    """Apply a business without a login: a business login is made with it (one request: a
    refused application makes no login), and a clerk decides."""
    user = accounts.create_user(
        session,
        settings,
        username=body.account.username,
        password=body.account.password,
        roles=[Role.merchant],
        display_name=body.account.display_name,
    )
    merchant = merchants_service.apply(
        session, _application(body.business), actor_id=user.id, as_staff=True, now=now
    )
    return MerchantOut.model_validate(merchant_fields(merchant, _place(session, merchant)))


@router.get(
    "/cashback/merchants/me",
    response_model=MyMerchantOut,
    responses=responses(*AUTH, NotMerchantStaff),
)
def my_merchant(caller: ApplicantCaller, session: DbSession, now: Now) -> MyMerchantOut:
    """My business: its status, what the city owes it, and the campaigns running for it (a
    resident who applied sees it too, while it waits for the clerk)."""
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
            "owner": merchant.applied_by == caller.id,
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
