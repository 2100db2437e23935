"""The city's notices: clerks post and withdraw them (auditors read), anyone reads the current ones
of a neighbourhood."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from kernel.clock import Now, Today
from kernel.database import DbSession
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, Unprocessable, responses
from kernel.i18n import Language
from kernel.kit.language import RequestLanguage
from kernel.kit.pagination import PaginationQuery
from kernel.settings import AppSettings
from messages.bulletins import service
from messages.bulletins.exceptions import (
    AlreadyWithdrawn,
    AudienceUnclear,
    BulletinNotFound,
    DaysInvalid,
    NeighbourhoodNotFound,
    UnknownNeighbourhood,
)
from messages.bulletins.models import Bulletin
from messages.bulletins.schemas import (
    BulletinIn,
    BulletinOut,
    NeighbourhoodName,
    PublicBulletinOut,
    WithdrawalIn,
    WrittenOut,
)
from resident_card.accounts.dependencies import AdminCaller, StaffReader

router = APIRouter(tags=["notices"])
AUTH = (NotAuthenticated, InvalidToken, Forbidden)

NeighbourhoodCode = Annotated[
    str | None,
    Query(
        alias="neighbourhood",
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="A neighbourhood's code; left out: the notices for the whole city alone.",
    ),
]


def _outs(
    session: Session, bulletins: Sequence[Bulletin], today: date, language: Language
) -> list[BulletinOut]:
    places = service.neighbourhoods_of(session, bulletins)
    return [
        BulletinOut(
            id=bulletin.id,
            title=WrittenOut(he=bulletin.title_he, ar=bulletin.title_ar, en=bulletin.title_en),
            body=WrittenOut(he=bulletin.body_he, ar=bulletin.body_ar, en=bulletin.body_en),
            whole_city=bulletin.whole_city,
            neighbourhoods=[
                NeighbourhoodName(code=place.code, name=place.name(language))
                for place in places.get(bulletin.id, [])
            ],
            first_day=bulletin.first_day,
            last_day=bulletin.last_day,
            state=service.state(bulletin, today).value,
            created_at=bulletin.created_at,
            withdrawn_at=bulletin.withdrawn_at,
            withdrawal_reason=bulletin.withdrawal_reason,
        )
        for bulletin in bulletins
    ]


@router.post(
    "/admin/notices",
    status_code=status.HTTP_201_CREATED,
    response_model=BulletinOut,
    responses=responses(*AUTH, AudienceUnclear, DaysInvalid, UnknownNeighbourhood, Unprocessable),
)
def post_notice(
    body: BulletinIn,
    caller: AdminCaller,
    session: DbSession,
    settings: AppSettings,
    language: RequestLanguage,
    now: Now,
    today: Today,
) -> BulletinOut:
    """Post a notice of the city for some neighbourhoods or the whole city, in Hebrew (and Arabic
    and English: left empty, Hebrew is shown), current from its first day to its last (audited)."""
    draft = service.Draft(
        title=body.title.text(),
        body=body.body.text(),
        neighbourhoods=body.neighbourhoods,
        whole_city=body.whole_city,
        first_day=body.first_day,
        last_day=body.last_day,
    )
    bulletin = service.post(session, settings, draft, actor_id=caller.id, now=now, today=today)
    return _outs(session, [bulletin], today, language)[0]


@router.get("/admin/notices", response_model=list[BulletinOut], responses=responses(*AUTH))
def notices(
    caller: StaffReader,
    session: DbSession,
    pagination: PaginationQuery,
    language: RequestLanguage,
    today: Today,
) -> list[BulletinOut]:
    """Every notice of the city, newest first, withdrawn and past ones too (staff)."""
    found = service.newest(session, limit=pagination.limit, offset=pagination.offset)
    return _outs(session, found, today, language)


@router.post(
    "/admin/notices/{notice_id}/withdraw",
    response_model=BulletinOut,
    responses=responses(*AUTH, BulletinNotFound, AlreadyWithdrawn, Unprocessable),
)
def withdraw_notice(
    notice_id: uuid.UUID,
    body: WithdrawalIn,
    caller: AdminCaller,
    session: DbSession,
    language: RequestLanguage,
    now: Now,
    today: Today,
) -> BulletinOut:
    """Withdraw a notice, with a reason: it leaves the public list and every inbox (audited)."""
    bulletin = service.withdraw(session, notice_id, reason=body.reason, actor_id=caller.id, now=now)
    return _outs(session, [bulletin], today, language)[0]


@router.get(
    "/notices",
    response_model=list[PublicBulletinOut],
    responses=responses(NeighbourhoodNotFound, Unprocessable),
)
def current_notices(
    session: DbSession,
    language: RequestLanguage,
    today: Today,
    neighbourhood: NeighbourhoodCode = None,
) -> list[PublicBulletinOut]:
    """The city's notices current today for a neighbourhood and the whole city, newest first,
    in my language (Hebrew where the city wrote no other)."""
    return [
        PublicBulletinOut(
            id=bulletin.id,
            title=bulletin.title(language),
            body=bulletin.body(language),
            whole_city=bulletin.whole_city,
            first_day=bulletin.first_day,
            last_day=bulletin.last_day,
        )
        for bulletin in service.current(session, neighbourhood, today=today)
    ]
