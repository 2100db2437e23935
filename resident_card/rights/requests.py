"""Erasure as a request: the card's ``RequestSource`` for kind ``erasure``. Submitted, then granted
or refused with the clerk's reason."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from resident_card.requests.sources import PersonRequest, RequestSource, Step
from resident_card.rights.models import ErasureRequest, ErasureStatus
from resident_card.rights.repository import ErasureRepository
from resident_card.rights.words import STATUS_TEXTS

KIND = "erasure"


def timeline(erasure: ErasureRequest) -> tuple[Step, ...]:
    steps = [
        Step(
            ErasureStatus.submitted.value,
            STATUS_TEXTS[ErasureStatus.submitted],
            erasure.created_at,
            erasure.reason,
        )
    ]
    if erasure.status != ErasureStatus.submitted and erasure.decided_at is not None:
        steps.append(
            Step(
                erasure.status,
                STATUS_TEXTS[erasure.status],
                erasure.decided_at,
                erasure.decision_reason,
            )
        )
    return tuple(steps)


def erasures(
    session: Session, user_id: uuid.UUID, resident_ids: Sequence[uuid.UUID]
) -> list[PersonRequest]:
    """The account's erasure requests (a ward is never erased through a guardian's account)."""
    return [
        PersonRequest(
            id=erasure.id, kind=KIND, created_at=erasure.created_at, timeline=timeline(erasure)
        )
        for erasure in ErasureRepository(session).of_user(user_id)
    ]


SOURCE = RequestSource(requests=erasures)
