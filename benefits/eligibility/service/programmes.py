"""Programmes: made, listed, retired, each change written to the audit log.

A programme runs from its start up to (not including) its end; ``None`` as an end means
open-ended.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import (
    InvalidPeriod,
    ProgrammeExists,
    ProgrammeNotFound,
    ProgrammeRetired,
)
from benefits.eligibility.models import Programme, ProgrammeStatus
from benefits.eligibility.repository import ProgrammeRepository
from benefits.eligibility.schemas import ProgrammeCreate
from benefits.eligibility.service.city_clock import city_zone, to_moment
from resident_card.audit import service as audit


def _programme_snapshot(programme: Programme) -> dict[str, Any]:
    return {
        "code": programme.code,
        "names": dict(programme.names),
        "unit": programme.unit,
        "allowance_amount": programme.allowance_amount,
        "allowance_period": programme.allowance_period,
        "active_from": programme.active_from.isoformat(),
        "active_to": programme.active_to.isoformat() if programme.active_to else None,
        "status": programme.status,
    }


def create_programme(
    session: Session,
    data: ProgrammeCreate,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> Programme:
    """Add a programme (no rule yet: until it has one, nobody is eligible)."""
    zone = city_zone(zone)
    repository = ProgrammeRepository(session)
    if repository.by_code(data.code) is not None:
        raise ProgrammeExists(programme=data.code)
    active_from = to_moment(data.active_from, zone) if data.active_from is not None else now
    active_to = to_moment(data.active_to, zone) if data.active_to is not None else None
    if active_to is not None and active_to <= active_from:
        raise InvalidPeriod(problem="active_to must come after active_from")
    programme = repository.add(
        Programme(
            code=data.code,
            names=data.names.model_dump(),
            descriptions=data.descriptions.model_dump(),
            unit=data.unit.value if data.unit is not None else None,
            allowance_amount=data.allowance.amount if data.allowance is not None else None,
            allowance_period=data.allowance.period.value if data.allowance is not None else None,
            active_from=active_from,
            active_to=active_to,
            status=ProgrammeStatus.active.value,
            created_at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.create",
        subject_type="programme",
        subject_id=programme.id,
        after=_programme_snapshot(programme),
    )
    return programme


def get_programme(session: Session, code: str) -> Programme:
    programme = ProgrammeRepository(session).by_code(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    return programme


def list_programmes(
    session: Session, *, status: ProgrammeStatus | None = None
) -> Sequence[Programme]:
    return ProgrammeRepository(session).list(status=status)


def running_programmes(session: Session, *, now: datetime) -> Sequence[Programme]:
    """The programmes that are active and within their dates at this moment."""
    return ProgrammeRepository(session).running(now)


def retire_programme(
    session: Session, code: str, *, actor_id: uuid.UUID | None, now: datetime, reason: str = ""
) -> Programme:
    """Stop a programme: nobody is eligible from now on; its history stays."""
    programme = ProgrammeRepository(session).by_code_for_update(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    if programme.status == ProgrammeStatus.retired:
        raise ProgrammeRetired(programme=code)
    before = _programme_snapshot(programme)
    programme.status = ProgrammeStatus.retired.value
    programme.retired_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="programme.retire",
        subject_type="programme",
        subject_id=programme.id,
        before=before,
        after=_programme_snapshot(programme),
        reason=reason or None,
    )
    return programme
