"""Erasure: a person asks to be forgotten, a clerk decides, because the city may have to keep some
records (docs/decisions/0020-erasure.md). Granted, in one transaction: the residency ends (what it
brought ends with it), every installed domain forgets the person in its own tables (the card's
last), and the person is told at the address they had. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel import notices
from kernel.notices import Category, Notice
from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.service import records, residency
from resident_card.rights import sections, words
from resident_card.rights.exceptions import (
    ErasureAlreadyDecided,
    ErasureAlreadyOpen,
    ErasureNotFound,
)
from resident_card.rights.models import ErasureRequest, ErasureStatus
from resident_card.rights.repository import CardRecords, ErasureRepository
from resident_card.rights.schemas import Outcome
from resident_card.rights.sections import Erased

SUBJECT = "erasure"
# A residency that ends on erasure; a pending enrolment is refused instead, and one already ended
# (moved out, refused) stays as it is.
ENDS = (ResidencyStatus.verified, ResidencyStatus.suspended)


def ask(session: Session, *, user_id: uuid.UUID, reason: str, now: datetime) -> ErasureRequest:
    """The signed-in person asks to be erased; one request at a time."""
    own = records.resident_for_user(session, user_id)
    repository = ErasureRepository(session)
    erasure = ErasureRequest(
        id=uuid.uuid4(),
        user_id=user_id,
        resident_id=own.id if own is not None else None,
        reason=reason,
        status=ErasureStatus.submitted.value,
        created_at=now,
    )
    try:
        # Two asked at once: the open-request index lets one in.
        with session.begin_nested():
            repository.add(erasure)
    except IntegrityError:
        raise ErasureAlreadyOpen() from None
    audit.record(
        session,
        actor_id=user_id,
        action="erasure.ask",
        subject_type=SUBJECT,
        subject_id=erasure.id,
        after={"status": erasure.status},
        reason=reason,
    )
    notices.post(
        session,
        Notice(
            account_id=user_id,
            category=Category.security,
            title=words.STATUS_TEXTS[ErasureStatus.submitted],
            body=words.RECEIVED,
            link="/wallet#requests",
            key=f"erasure:{erasure.id}:submitted",
        ),
    )
    return erasure


def mine(session: Session, user_id: uuid.UUID) -> Sequence[ErasureRequest]:
    return ErasureRepository(session).of_user(user_id)


def for_clerks(
    session: Session, *, status: ErasureStatus | None, limit: int, offset: int
) -> tuple[Sequence[ErasureRequest], int]:
    return ErasureRepository(session).page(status=status, limit=limit, offset=offset)


def names_of(session: Session, erasures: Sequence[ErasureRequest]) -> dict[uuid.UUID, str]:
    """Who asked, by resident id, as their record names them now (empty once erased)."""
    ids = [e.resident_id for e in erasures if e.resident_id is not None]
    found = CardRecords(session).residents(ids) if ids else ()
    return {r.id: f"{r.first_name} {r.last_name}".strip() for r in found}


def decide(
    session: Session,
    settings: Settings,
    *,
    erasure_id: uuid.UUID,
    outcome: Outcome,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> ErasureRequest:
    """A clerk grants or refuses an open erasure request, with the reason the person reads;
    written to the audit log. Granted, the person is forgotten in this transaction."""
    repository = ErasureRepository(session)
    erasure = repository.get_for_update(erasure_id)
    if erasure is None:
        raise ErasureNotFound()
    if erasure.status != ErasureStatus.submitted:
        raise ErasureAlreadyDecided()
    status = ErasureStatus(outcome.value)
    erasure.status = status.value
    erasure.decided_at = now
    erasure.decided_by = actor_id
    erasure.decision_reason = reason
    session.flush()
    # Told where they can still read it: once erased, at the address the record had, by email only.
    resident = (
        records.get_resident(session, erasure.resident_id)
        if erasure.resident_id is not None
        else None
    )
    address = resident.email if resident is not None else None
    if status == ErasureStatus.granted:
        if resident is not None:
            _end_residency(session, settings, resident, actor_id, now)
        erased = Erased(
            user_id=erasure.user_id,
            resident_id=erasure.resident_id,
            erasure_id=erasure.id,
            actor_id=actor_id,
            now=now,
        )
        for step in sections.erasure_steps():
            step.erase(session, erased)
    audit.record(
        session,
        actor_id=actor_id,
        action="erasure.decide",
        subject_type=SUBJECT,
        subject_id=erasure.id,
        before={"status": ErasureStatus.submitted.value},
        after={"status": status.value},
        reason=reason,
    )
    if status == ErasureStatus.refused or address is not None:
        notices.post(
            session,
            Notice(
                account_id=erasure.user_id,
                category=Category.security,
                title=words.STATUS_TEXTS[status],
                body=words.decided(status, reason),
                link=None if status == ErasureStatus.granted else "/wallet#requests",
                key=f"erasure:{erasure.id}:{status.value}",
                email=address if status == ErasureStatus.granted else None,
                email_only=status == ErasureStatus.granted,
            ),
        )
    return erasure


def _end_residency(
    session: Session,
    settings: Settings,
    resident: Resident,
    actor_id: uuid.UUID,
    now: datetime,
) -> None:
    """The residency ends as a move out does (or a pending enrolment is refused), so what it
    brought ends with it: permits, monthly grants, the card."""
    if resident.status in ENDS:
        to = ResidencyStatus.moved_out
    elif resident.status == ResidencyStatus.pending:
        to = ResidencyStatus.rejected
    else:
        return
    residency.change_status(
        session,
        settings,
        resident_id=resident.id,
        status=to,
        reason=words.RESIDENCY_REASON,
        actor_id=actor_id,
        now=now,
    )
