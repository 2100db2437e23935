"""Posting and withdrawing the city's notices, the current ones of a neighbourhood, and the ones a
resident's inbox holds.

A notice reaches residents when they read their inbox, never as a row per resident: the inbox
finds the resident's neighbourhood from their address at that moment and reads the notices
current for it. Posting for a neighbourhood of 10,000 residents is one row and its neighbourhoods;
a resident who moves reads the new neighbourhood's notices at once; a withdrawn notice leaves every
inbox at once. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from kernel.i18n import LANGUAGES, Text
from kernel.settings import Settings
from messages.bulletins import repository
from messages.bulletins.exceptions import (
    AlreadyWithdrawn,
    AudienceUnclear,
    BulletinNotFound,
    DaysInvalid,
    NeighbourhoodNotFound,
    UnknownNeighbourhood,
)
from messages.bulletins.models import Bulletin
from messages.bulletins.repository import BulletinRepository
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.city.models import Neighbourhood
from resident_card.city.repository import CityRepository

# The longest a notice may be current: a year, and a day for a leap year.
LONGEST = timedelta(days=366)


class State(StrEnum):
    upcoming = "upcoming"
    current = "current"
    past = "past"
    withdrawn = "withdrawn"


@dataclass(frozen=True)
class Draft:
    """A notice as a clerk writes it; an empty Arabic or English text is shown in Hebrew."""

    title: Text
    body: Text
    neighbourhoods: Sequence[str]
    whole_city: bool
    first_day: date
    last_day: date


def state(bulletin: Bulletin, today: date) -> State:
    if bulletin.withdrawn_at is not None:
        return State.withdrawn
    if today < bulletin.first_day:
        return State.upcoming
    if today > bulletin.last_day:
        return State.past
    return State.current


def _shown(bulletin: Bulletin, codes: Sequence[str]) -> dict[str, object]:
    return {
        "title_he": bulletin.title_he,
        "neighbourhoods": list(codes),
        "whole_city": bulletin.whole_city,
        "first_day": bulletin.first_day.isoformat(),
        "last_day": bulletin.last_day.isoformat(),
    }


def post(
    session: Session,
    settings: Settings,
    draft: Draft,
    *,
    actor_id: uuid.UUID,
    now: datetime,
    today: date,
) -> Bulletin:
    """Post a notice for its neighbourhoods or the whole city (one of the two); written to the
    audit log. The last day may not be past, nor more than a year after the first."""
    codes = sorted(set(draft.neighbourhoods))
    if draft.whole_city == bool(codes):
        raise AudienceUnclear()
    if not (
        draft.first_day <= draft.last_day
        and draft.last_day >= today
        and draft.last_day - draft.first_day <= LONGEST
    ):
        raise DaysInvalid()
    places = CityRepository(session)
    neighbourhoods: list[Neighbourhood] = []
    for code in codes:
        found = places.neighbourhood_by_code(code)
        if found is None:
            raise UnknownNeighbourhood(code=code[:32])
        neighbourhoods.append(found)
    first_moment = datetime.combine(draft.first_day, time(), ZoneInfo(settings.city_time_zone))
    bulletin = Bulletin(
        **{f"title_{lang}": draft.title[lang] for lang in LANGUAGES},
        **{f"body_{lang}": draft.body[lang] for lang in LANGUAGES},
        whole_city=draft.whole_city,
        first_day=draft.first_day,
        last_day=draft.last_day,
        shown_from=max(now, first_moment),
        posted_by=actor_id,
        created_at=now,
    )
    BulletinRepository(session).add(bulletin, [n.id for n in neighbourhoods])
    audit.record(
        session,
        actor_id=actor_id,
        action="messages.notice.post",
        subject_type="notice",
        subject_id=bulletin.id,
        after=_shown(bulletin, codes),
    )
    return bulletin


def withdraw(
    session: Session,
    bulletin_id: uuid.UUID,
    *,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> Bulletin:
    """Withdraw a notice, with a reason: it leaves the public list and every inbox at once;
    written to the audit log. Withdrawing it again is refused."""
    repository_ = BulletinRepository(session)
    bulletin = repository_.get_for_update(bulletin_id)
    if bulletin is None:
        raise BulletinNotFound()
    if bulletin.withdrawn_at is not None:
        raise AlreadyWithdrawn()
    bulletin.withdrawn_at = now
    bulletin.withdrawn_by = actor_id
    bulletin.withdrawal_reason = reason
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="messages.notice.withdraw",
        subject_type="notice",
        subject_id=bulletin.id,
        before={"withdrawn": False},
        after={"withdrawn": True},
        reason=reason,
    )
    return bulletin


def newest(session: Session, *, limit: int, offset: int) -> Sequence[Bulletin]:
    """Every notice, newest first, withdrawn and past ones too."""
    return BulletinRepository(session).newest(limit=limit, offset=offset)


def neighbourhoods_of(
    session: Session, bulletins: Sequence[Bulletin]
) -> dict[uuid.UUID, list[Neighbourhood]]:
    return BulletinRepository(session).neighbourhoods_of(b.id for b in bulletins)


def current(session: Session, code: str | None, *, today: date) -> Sequence[Bulletin]:
    """The notices current today for the neighbourhood of this code (and the whole city), or
    for the whole city alone when no code is given."""
    neighbourhood_id = None
    if code is not None:
        found = CityRepository(session).neighbourhood_by_code(code)
        if found is None:
            raise NeighbourhoodNotFound(code=code[:32])
        neighbourhood_id = found.id
    return BulletinRepository(session).current(today, neighbourhood_id)


def for_inbox(
    session: Session, account_id: uuid.UUID, *, today: date
) -> ColumnElement[bool] | None:
    """Which notices the account's inbox holds today: those current for the neighbourhood its
    resident lives in now, and for the whole city. None for an account with no verified
    resident (a business's staff, a clerk)."""
    home = BulletinRepository(session).home_of(account_id)
    if home is None:
        return None
    neighbourhood = city.neighbourhood_for(session, home.street_id, home.house_number)
    return repository.picked(today, None if neighbourhood is None else neighbourhood.id)
