"""The clerk's residency desk: status decisions along the allowed transitions, the disability
flag, and finding a resident by name or identifier; every change and look-up audited. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.residents import events, notices
from resident_card.residents.events import Change
from resident_card.residents.exceptions import ClaimOpen, InvalidTransition, ResidentNotFound
from resident_card.residents.identifiers import IdentifierKind, protect
from resident_card.residents.models import ResidencyStatus, Resident, StatusChange
from resident_card.residents.repository import ClaimRepository, ResidentRepository
from resident_card.residents.service.records import city_today

# What a clerk may do to a residency status; anything else is an invalid transition.
TRANSITIONS: Mapping[ResidencyStatus, frozenset[ResidencyStatus]] = {
    ResidencyStatus.pending: frozenset({ResidencyStatus.verified, ResidencyStatus.rejected}),
    ResidencyStatus.verified: frozenset({ResidencyStatus.suspended, ResidencyStatus.moved_out}),
    ResidencyStatus.suspended: frozenset({ResidencyStatus.verified, ResidencyStatus.moved_out}),
    ResidencyStatus.moved_out: frozenset(),
    ResidencyStatus.rejected: frozenset(),
}


def change_status(
    session: Session,
    settings: Settings,
    *,
    resident_id: uuid.UUID,
    status: ResidencyStatus,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> Resident:
    """Move a resident's residency status along an allowed transition; written to the audit log.

    An enrolment that claims a registered identity changes only through the claim's decision."""
    repository = ResidentRepository(session)
    resident = repository.get_for_update(resident_id)
    if resident is None:
        raise ResidentNotFound()
    before = ResidencyStatus(resident.status)
    if ClaimRepository(session).is_open(resident.id):
        raise ClaimOpen()
    if status not in TRANSITIONS[before]:
        raise InvalidTransition(before=before.value, after=status.value)
    resident.status = status.value
    if status == ResidencyStatus.verified:
        if resident.verified_at is None:
            resident.verified_at = now
        if resident.resident_since is None:
            resident.resident_since = city_today(now, settings)
    repository.add(
        StatusChange(
            resident_id=resident.id,
            from_status=before.value,
            to_status=status.value,
            reason=reason,
            actor_id=actor_id,
            at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.status",
        subject_type="resident",
        subject_id=resident.id,
        before={"status": before.value},
        after={"status": status.value},
        reason=reason,
    )
    # What the resident is owed follows at once, in this transaction (benefits' allowances).
    change = Change.verified if status == ResidencyStatus.verified else Change.refused
    events.announce(session, [resident.id], change, now)
    notices.status_changed(session, resident, status, reason)
    return resident


def set_disability(
    session: Session, *, resident_id: uuid.UUID, disability: bool, reason: str, actor_id: uuid.UUID
) -> Resident:
    """Set or clear the disability flag a clerk keeps on a resident; written to the audit log."""
    resident = ResidentRepository(session).get_for_update(resident_id)
    if resident is None:
        raise ResidentNotFound()
    before = resident.disability
    resident.disability = disability
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.disability",
        subject_type="resident",
        subject_id=resident.id,
        before={"disability": before},
        after={"disability": disability},
        reason=reason,
    )
    return resident


def search(
    session: Session, *, status: ResidencyStatus | None, text: str | None, limit: int, offset: int
) -> tuple[Sequence[Resident], int]:
    cleaned = " ".join(text.split()) if text else None
    return ResidentRepository(session).search(
        status=status.value if status is not None else None,
        text=cleaned,
        limit=limit,
        offset=offset,
    )


def admin_resident(session: Session, resident_id: uuid.UUID) -> Resident:
    resident = ResidentRepository(session).get(resident_id)
    if resident is None:
        raise ResidentNotFound()
    return resident


def lookup(
    session: Session,
    settings: Settings,
    *,
    kind: IdentifierKind,
    value: str,
    actor_id: uuid.UUID,
) -> Resident:
    """The resident holding an identifier (by its keyed hash); the look-up is written to the audit log."""
    protected = protect(settings.id_hash_key.get_secret_value(), kind, value)
    resident = ResidentRepository(session).by_identifier_hash(protected.hash)
    if resident is None:
        raise ResidentNotFound()
    audit.record(
        session,
        actor_id=actor_id,
        action="resident.lookup",
        subject_type="resident",
        subject_id=resident.id,
        after={"identifier_kind": protected.kind.value},
    )
    return resident
