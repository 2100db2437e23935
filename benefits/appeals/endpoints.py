"""Appeals: residents appeal a refused decision; clerks list and decide them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import Enum
from zoneinfo import ZoneInfo

from fastapi import APIRouter, status

from benefits.appeals import service as appeals
from benefits.appeals.exceptions import (
    AppealAlreadyDecided,
    AppealAlreadyGranted,
    AppealAlreadyOpen,
    AppealNotFound,
    DecisionNotRefused,
)
from benefits.appeals.models import Appeal, AppealStatus
from benefits.appeals.schemas import AppealCreate, AppealDecide, AppealOut, AppealPage
from benefits.eligibility.endpoints import CallerLanguage
from benefits.eligibility.exceptions import DecisionNotFound, NoResidentRecord
from kernel.clock import Now, Today
from kernel.database import DbSession
from kernel.errors import Forbidden, NotAuthenticated, responses
from kernel.i18n import Language
from kernel.kit.pagination import PaginationQuery
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import AdminCaller, ResidentCaller, StaffReader

router = APIRouter()

RESIDENT: list[str | Enum] = ["appeals"]
ADMIN: list[str | Enum] = ["admin: appeals"]
STAFF_ERRORS = (NotAuthenticated, Forbidden)


def appeals_out(session: DbSession, found: Sequence[Appeal], language: Language) -> list[AppealOut]:
    context = appeals.context_of(session, found)
    return [
        AppealOut(
            id=appeal.id,
            status=AppealStatus(appeal.status),
            decision_id=appeal.decision_id,
            programme=context.programmes[appeal.programme_id].code,
            programme_name=context.programmes[appeal.programme_id].names[language],
            resident_id=appeal.resident_id,
            resident_name=context.names.get(appeal.resident_id, ""),
            message=appeal.message,
            created_at=appeal.created_at,
            decided_at=appeal.decided_at,
            reason=appeal.reason,
            outcome_decision_id=context.answers.get(appeal.id),
            transaction_id=appeal.transaction_id,
        )
        for appeal in found
    ]


@router.post(
    "/appeals",
    tags=RESIDENT,
    status_code=status.HTTP_201_CREATED,
    response_model=AppealOut,
    responses=responses(
        NotAuthenticated,
        NoResidentRecord,
        DecisionNotFound,
        DecisionNotRefused,
        AppealAlreadyOpen,
        AppealAlreadyGranted,
    ),
)
def submit_appeal(
    body: AppealCreate,
    session: DbSession,
    caller: ResidentCaller,
    language: CallerLanguage,
    now: Now,
    today: Today,
) -> AppealOut:
    """Appeal a refused decision of yours (or of a ward's): a clerk will look at it again."""
    appeal = appeals.submit(
        session,
        user_id=caller.id,
        decision_id=body.decision_id,
        message=body.message,
        now=now,
        today=today,
    )
    return appeals_out(session, [appeal], language)[0]


@router.get(
    "/appeals/me",
    tags=RESIDENT,
    response_model=list[AppealOut],
    responses=responses(NotAuthenticated, NoResidentRecord),
)
def my_appeals(
    session: DbSession, caller: ResidentCaller, language: CallerLanguage, today: Today
) -> list[AppealOut]:
    """Your appeals and your wards', newest first, with the clerk's answer once decided."""
    return appeals_out(session, appeals.mine(session, user_id=caller.id, today=today), language)


@router.get(
    "/admin/appeals",
    tags=ADMIN,
    response_model=AppealPage,
    responses=responses(*STAFF_ERRORS),
)
def list_appeals(
    session: DbSession,
    caller: StaffReader,
    language: CallerLanguage,
    pagination: PaginationQuery,
    status: AppealStatus | None = None,
) -> AppealPage:
    """Appeals, by status: the open ones oldest first, any other newest first."""
    found, total = appeals.for_clerks(
        session, status=status, limit=pagination.limit, offset=pagination.offset
    )
    return AppealPage.of(appeals_out(session, found, language), total=total, pagination=pagination)


@router.post(
    "/admin/appeals/{appeal_id}/decide",
    tags=ADMIN,
    response_model=AppealOut,
    responses=responses(*STAFF_ERRORS, AppealNotFound, AppealAlreadyDecided),
)
def decide_appeal(
    appeal_id: uuid.UUID,
    body: AppealDecide,
    session: DbSession,
    caller: AdminCaller,
    language: CallerLanguage,
    now: Now,
    settings: AppSettings,
) -> AppealOut:
    """Grant or refuse an appeal, with the reason the resident reads. Granted: a decision naming
    the appeal, and the period's allowance credited through the ledger."""
    appeal = appeals.decide(
        session,
        appeal_id=appeal_id,
        outcome=body.outcome,
        reason=body.reason,
        actor_id=caller.id,
        now=now,
        zone=ZoneInfo(settings.city_time_zone),
    )
    return appeals_out(session, [appeal], language)[0]
