"""The city's clerks and the businesses: applications, decisions, staff accounts, what is owed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from cashback.endpoints.answers import merchant_fields
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import (
    AddressNotInCity,
    AlreadyMerchantStaff,
    InvalidMerchantTransition,
    InvalidRegistryNumber,
    MerchantNotFound,
    NotAMerchantAccount,
    RegistryNumberTaken,
)
from cashback.models import Merchant, MerchantStatus
from cashback.schemas import AdminMerchantOut, MerchantApplicationIn, MerchantDecisionIn, StaffIn
from cashback.service import merchants as merchants_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.pagination import PaginationQuery
from resident_card.accounts.dependencies import AdminCaller, StaffReader

router = APIRouter(tags=["cashback"])


def _admin_merchants(
    session: Session, merchants: Sequence[Merchant], now: datetime
) -> list[AdminMerchantOut]:
    """Businesses with their places, staff and what the city owes them, read for all at once."""
    places = merchants_service.places(session, merchants)
    staff = merchants_service.staff_of_each(session, merchants)
    owed = merchants_service.owed_to_each(session, merchants, now=now)
    return [
        AdminMerchantOut.model_validate(
            {
                **merchant_fields(merchant, places[merchant.id]),
                "staff_user_ids": staff[merchant.id],
                "owed_agorot": owed[merchant.id],
            }
        )
        for merchant in merchants
    ]


def _admin_merchant(session: Session, merchant: Merchant, now: datetime) -> AdminMerchantOut:
    return _admin_merchants(session, [merchant], now)[0]


@router.get(
    "/admin/cashback/merchants", response_model=list[AdminMerchantOut], responses=responses(*AUTH)
)
def merchants(
    caller: StaffReader,
    session: DbSession,
    now: Now,
    pagination: PaginationQuery,
    status_filter: Annotated[MerchantStatus | None, Query(alias="status")] = None,
) -> list[AdminMerchantOut]:
    """Businesses in the scheme or applying to it, newest first (staff)."""
    found = merchants_service.list_merchants(
        session, status=status_filter, limit=pagination.limit, offset=pagination.offset
    )
    return _admin_merchants(session, found, now)


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
    return _admin_merchant(session, merchants_service.get_merchant(session, merchant_id), now)


def _decide_merchant(to: MerchantStatus, verb: str) -> None:
    def decide(
        merchant_id: uuid.UUID,
        body: MerchantDecisionIn,
        caller: AdminCaller,
        session: DbSession,
        now: Now,
    ) -> AdminMerchantOut:
        merchant = merchants_service.change_status(
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
    merchants_service.add_staff(session, merchant_id, body.user_id, actor_id=caller.id)
    return _admin_merchant(session, merchants_service.get_merchant(session, merchant_id), now)


@router.delete(
    "/admin/cashback/merchants/{merchant_id}/staff/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, MerchantNotFound),
)
def remove_staff(
    merchant_id: uuid.UUID, user_id: uuid.UUID, caller: AdminCaller, session: DbSession
) -> Response:
    """Take a staff account off a business (audited)."""
    merchants_service.remove_staff(session, merchant_id, user_id, actor_id=caller.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
