"""A person's rights: their file, and asking to be erased; the clerks' desk of erasure requests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from enum import Enum

from fastapi import APIRouter, Response, status

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, responses
from kernel.kit.pagination import PaginationQuery
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import AdminCaller, CurrentUser, StaffReader
from resident_card.residents.exceptions import ClaimOpen
from resident_card.rights.exceptions import (
    ErasureAlreadyDecided,
    ErasureAlreadyOpen,
    ErasureNotFound,
)
from resident_card.rights.models import ErasureRequest, ErasureStatus
from resident_card.rights.schemas import (
    ErasureAsk,
    ErasureDecide,
    ErasureForClerk,
    ErasureOut,
    ErasurePage,
)
from resident_card.rights.service import erasure as erasures
from resident_card.rights.service import export as exports

router = APIRouter()

PERSON: list[str | Enum] = ["your data"]
ADMIN: list[str | Enum] = ["admin: erasures"]
SIGNED_IN = (NotAuthenticated, InvalidToken)
STAFF = (*SIGNED_IN, Forbidden)


def _out(erasure: ErasureRequest) -> ErasureOut:
    return ErasureOut.model_validate(erasure, from_attributes=True)


def _for_clerk(session: DbSession, found: Sequence[ErasureRequest]) -> list[ErasureForClerk]:
    names = erasures.names_of(session, found)
    return [
        ErasureForClerk(
            **_out(erasure).model_dump(),
            user_id=erasure.user_id,
            resident_id=erasure.resident_id,
            name=names.get(erasure.resident_id, "") if erasure.resident_id else "",
        )
        for erasure in found
    ]


@router.get(
    "/me/export",
    tags=PERSON,
    response_class=Response,
    responses={
        **responses(*SIGNED_IN),
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "Everything the service holds about you and your wards, as one JSON file.",
        },
    },
)
def my_export(user: CurrentUser, session: DbSession, settings: AppSettings, now: Now) -> Response:
    """Everything the service holds about you and your wards, in one JSON file to keep."""
    document = exports.export(session, settings, user, now)
    return Response(
        content=json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="toshav-{now:%Y-%m-%d}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/me/erasure",
    tags=PERSON,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ErasureOut,
    responses=responses(*SIGNED_IN, ErasureAlreadyOpen),
)
def ask_erasure(body: ErasureAsk, user: CurrentUser, session: DbSession, now: Now) -> ErasureOut:
    """Ask the city to erase you: a clerk decides, as the city may have to keep some records."""
    return _out(erasures.ask(session, user_id=user.id, reason=body.reason, now=now))


@router.get(
    "/admin/erasures",
    tags=ADMIN,
    response_model=ErasurePage,
    responses=responses(*STAFF),
)
def list_erasures(
    session: DbSession,
    caller: StaffReader,
    pagination: PaginationQuery,
    status: ErasureStatus | None = None,
) -> ErasurePage:
    """Erasure requests, by status: the open ones oldest first, any other newest first."""
    found, total = erasures.for_clerks(
        session, status=status, limit=pagination.limit, offset=pagination.offset
    )
    return ErasurePage.of(_for_clerk(session, found), total=total, pagination=pagination)


@router.post(
    "/admin/erasures/{erasure_id}/decide",
    tags=ADMIN,
    response_model=ErasureForClerk,
    # A claimant's record waits for its claim's decision before its residency can end.
    responses=responses(*STAFF, ErasureNotFound, ErasureAlreadyDecided, ClaimOpen),
)
def decide_erasure(
    erasure_id: uuid.UUID,
    body: ErasureDecide,
    session: DbSession,
    caller: AdminCaller,
    settings: AppSettings,
    now: Now,
) -> ErasureForClerk:
    """Grant or refuse an erasure request, with the reason the person reads. Granted: the person
    is anonymised, their balances settled, their sign-in closed."""
    erasure = erasures.decide(
        session,
        settings,
        erasure_id=erasure_id,
        outcome=body.outcome,
        reason=body.reason,
        actor_id=caller.id,
        now=now,
    )
    return _for_clerk(session, [erasure])[0]
