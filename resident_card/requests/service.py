"""A signed-in person's requests, gathered from every installed source: for their account, and for
the residents they answer for (themselves and the minors in their care). Reads only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.requests import sources
from resident_card.requests.sources import PersonRequest
from resident_card.residents.service import records


def residents_answered_for(
    session: Session, settings: Settings, user_id: uuid.UUID, now: datetime
) -> list[uuid.UUID]:
    """The user's own resident record and their wards' (minors in their care); none for an account
    with no resident record (a business's staff, a clerk)."""
    own = records.resident_for_user(session, user_id)
    if own is None:
        return []
    today = records.city_today(now, settings)
    return [own.id, *(ward.id for ward in records.wards_of(session, own, today=today))]


def _as_of(request: PersonRequest, now: datetime) -> PersonRequest | None:
    """The request as it stands at ``now``: steps dated later have not happened yet."""
    happened = tuple(step for step in request.timeline if step.at <= now)
    if not happened:
        return None
    return (
        request if len(happened) == len(request.timeline) else replace(request, timeline=happened)
    )


def my_requests(
    session: Session, settings: Settings, user_id: uuid.UUID, now: datetime
) -> list[PersonRequest]:
    """Every request of the person, newest first (by when it was made, then by its last step)."""
    return requests_of(
        session, user_id, residents_answered_for(session, settings, user_id, now), now
    )


def requests_of(
    session: Session, user_id: uuid.UUID, resident_ids: Sequence[uuid.UUID], now: datetime
) -> list[PersonRequest]:
    """The requests of an account and of the residents it answers for, as they stand at ``now``,
    newest first."""
    found: list[PersonRequest] = []
    for source in sources.installed():
        for request in source.requests(session, user_id, resident_ids):
            current = _as_of(request, now)
            if current is not None:
                found.append(current)
    found.sort(key=lambda r: (r.created_at, r.updated_at, str(r.id)), reverse=True)
    return found
