"""A business's owner manages its staff logins: who works at the till, added and removed."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import (
    AlreadyMerchantStaff,
    MerchantNotApproved,
    MerchantNotFound,
    NotAStaffLogin,
    NotBusinessOwner,
    OwnerStays,
    StaffLoginNotFound,
)
from cashback.roles import MerchantCaller
from cashback.schemas import AddedStaffOut, StaffMemberIn, StaffMemberOut
from cashback.service import staff as staff_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.settings import AppSettings
from resident_card.accounts.exceptions import InvalidUsername, UsernameTaken

router = APIRouter(tags=["cashback"])
OWNER = (*AUTH, MerchantNotFound, NotBusinessOwner)


def _member_out(member: staff_service.StaffMember) -> StaffMemberOut:
    return StaffMemberOut(
        user_id=member.user.id,
        username=member.user.username,
        display_name=member.user.display_name,
        owner=member.owner,
        since=member.link.created_at,
    )


@router.get(
    "/cashback/merchants/{merchant_id}/staff",
    response_model=list[StaffMemberOut],
    responses=responses(*OWNER),
)
def staff(
    merchant_id: uuid.UUID, caller: MerchantCaller, session: DbSession
) -> list[StaffMemberOut]:
    """My business's staff logins, oldest first (its owner only)."""
    merchant = staff_service.owned_business(session, merchant_id, caller.id)
    return [_member_out(member) for member in staff_service.members(session, merchant)]


@router.post(
    "/cashback/merchants/{merchant_id}/staff",
    status_code=status.HTTP_201_CREATED,
    response_model=AddedStaffOut,
    responses=responses(
        *OWNER,
        MerchantNotApproved,
        StaffLoginNotFound,
        NotAStaffLogin,
        AlreadyMerchantStaff,
        InvalidUsername,
        UsernameTaken,
    ),
)
def add_staff(
    merchant_id: uuid.UUID,
    body: StaffMemberIn,
    caller: MerchantCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> AddedStaffOut:
    """Add a staff login to my approved business (its owner only): an existing login by its
    username, or a new one whose one-time link to choose its password is shown once."""
    merchant = staff_service.owned_business(session, merchant_id, caller.id)
    added = staff_service.add(
        session,
        settings,
        merchant,
        username=body.username,
        display_name=body.display_name,
        new_login=body.new_login,
        email=body.email,
        actor_id=caller.id,
        now=now,
    )
    return AddedStaffOut(
        **_member_out(added.member).model_dump(),
        invite_path=added.invite_path,
        invite_expires_at=added.invite_expires_at,
        invite_emailed=added.invite_emailed,
    )


@router.delete(
    "/cashback/merchants/{merchant_id}/staff/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*OWNER, StaffLoginNotFound, OwnerStays),
)
def remove_staff(
    merchant_id: uuid.UUID, user_id: uuid.UUID, caller: MerchantCaller, session: DbSession, now: Now
) -> Response:
    """Remove a staff login from my business (its owner only): its access ends at once."""
    merchant = staff_service.owned_business(session, merchant_id, caller.id)
    staff_service.remove(session, merchant, user_id, actor_id=caller.id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
