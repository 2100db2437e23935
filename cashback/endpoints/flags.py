"""The city's clerks and the purchases the fraud signals flagged."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from cashback import earning
from cashback.endpoints.answers import label
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import FlagAlreadyResolved, FlagNotFound
from cashback.models import Flag, FlagOutcome, FlagStatus, Merchant, Purchase
from cashback.schemas import FlaggedPurchaseOut, FlagOut, FlagResolveIn
from cashback.service import flags as flags_service
from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.pagination import PaginationQuery
from resident_card.accounts.dependencies import AdminCaller, StaffReader

router = APIRouter(tags=["cashback"])


def _flag_out(flag: Flag, purchase: Purchase, merchant: Merchant) -> FlagOut:
    return FlagOut(
        id=flag.id,
        signal=flag.signal,
        signal_name=label(earning.SIGNALS[flag.signal]),
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


@router.get("/admin/cashback/flags", response_model=list[FlagOut], responses=responses(*AUTH))
def flags(
    caller: StaffReader,
    session: DbSession,
    pagination: PaginationQuery,
    status_filter: Annotated[FlagStatus | None, Query(alias="status")] = FlagStatus.open,
    merchant_id: Annotated[uuid.UUID | None, Query()] = None,
) -> list[FlagOut]:
    """Purchases flagged by the fraud signals, newest first; open ones unless asked (staff)."""
    return [
        _flag_out(flag, purchase, merchant)
        for flag, purchase, merchant in flags_service.list_flags(
            session,
            status=status_filter,
            merchant_id=merchant_id,
            limit=pagination.limit,
            offset=pagination.offset,
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
    flag = flags_service.resolve_flag(
        session, flag_id, outcome=body.outcome, reason=body.reason, actor_id=caller.id, now=now
    )
    purchase_row, merchant_row = flags_service.flag_context(session, flag)
    return _flag_out(flag, purchase_row, merchant_row)
