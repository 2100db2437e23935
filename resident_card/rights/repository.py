"""Every query of erasure requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from resident_card.accounts.models import PasswordReset
from resident_card.audit.models import AuditEntry
from resident_card.cards.models import Card, CardDevice, CardPhoto
from resident_card.city.models import Street
from resident_card.residents.models import (
    EmailChange,
    Guardianship,
    Household,
    Resident,
    StatusChange,
)
from resident_card.rights.models import ErasureRequest, ErasureStatus


class ErasureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, erasure: ErasureRequest) -> ErasureRequest:
        self.session.add(erasure)
        self.session.flush()
        return erasure

    def get(self, erasure_id: uuid.UUID) -> ErasureRequest | None:
        return self.session.get(ErasureRequest, erasure_id)

    def get_for_update(self, erasure_id: uuid.UUID) -> ErasureRequest | None:
        return self.session.scalars(
            select(ErasureRequest).where(ErasureRequest.id == erasure_id).with_for_update()
        ).one_or_none()

    def of_user(self, user_id: uuid.UUID) -> Sequence[ErasureRequest]:
        return self.session.scalars(
            select(ErasureRequest)
            .where(ErasureRequest.user_id == user_id)
            .order_by(ErasureRequest.created_at.desc(), ErasureRequest.id)
        ).all()

    def page(
        self, *, status: ErasureStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[ErasureRequest], int]:
        """The open ones oldest first (the desk works through them in order), any other newest
        first."""
        query = select(ErasureRequest)
        counted = select(func.count()).select_from(ErasureRequest)
        if status is not None:
            query = query.where(ErasureRequest.status == status.value)
            counted = counted.where(ErasureRequest.status == status.value)
        order = (
            ErasureRequest.created_at.asc()
            if status == ErasureStatus.submitted
            else ErasureRequest.created_at.desc()
        )
        found = self.session.scalars(
            query.order_by(order, ErasureRequest.id).limit(limit).offset(offset)
        ).all()
        return found, int(self.session.scalar(counted) or 0)


class CardRecords:
    """What the card's tables hold about a person, read for their file and changed to forget them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def residents(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Resident]:
        return self.session.scalars(select(Resident).where(Resident.id.in_(resident_ids))).all()

    def status_changes(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[StatusChange]:
        return self.session.scalars(
            select(StatusChange)
            .where(StatusChange.resident_id.in_(resident_ids))
            .order_by(StatusChange.at, StatusChange.id)
        ).all()

    def households(self, household_ids: Sequence[uuid.UUID]) -> Sequence[Household]:
        return self.session.scalars(select(Household).where(Household.id.in_(household_ids))).all()

    def streets(self, street_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Street]:
        found = self.session.scalars(select(Street).where(Street.id.in_(street_ids))).all()
        return {street.id: street for street in found}

    def guardianships(self, resident_id: uuid.UUID) -> Sequence[Guardianship]:
        """Where the resident looks after someone (their wards) or is looked after."""
        return self.session.scalars(
            select(Guardianship).where(
                or_(Guardianship.guardian_id == resident_id, Guardianship.ward_id == resident_id)
            )
        ).all()

    def cards(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Card]:
        return self.session.scalars(
            select(Card).where(Card.resident_id.in_(resident_ids)).order_by(Card.issued_at)
        ).all()

    def photos(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[CardPhoto]:
        return self.session.scalars(
            select(CardPhoto).where(CardPhoto.resident_id.in_(resident_ids))
        ).all()

    def devices(self, card_ids: Sequence[uuid.UUID]) -> Sequence[CardDevice]:
        return self.session.scalars(
            select(CardDevice)
            .where(CardDevice.card_id.in_(card_ids))
            .order_by(CardDevice.created_at)
        ).all()

    def email_changes(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[EmailChange]:
        return self.session.scalars(
            select(EmailChange).where(EmailChange.resident_id.in_(resident_ids))
        ).all()

    def audit_about(self, subject_ids: Sequence[str]) -> Sequence[AuditEntry]:
        """The audit entries whose subject is one of these (an account, a resident, a request)."""
        return self.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.subject_id.in_(subject_ids))
            .order_by(AuditEntry.created_at, AuditEntry.id)
        ).all()

    def delete_all(self, rows: Sequence[object]) -> None:
        for row in rows:
            self.session.delete(row)
        self.session.flush()

    def delete_password_resets(self, user_id: uuid.UUID) -> None:
        self.session.execute(delete(PasswordReset).where(PasswordReset.user_id == user_id))

    def delete_email_changes(self, resident_id: uuid.UUID) -> None:
        self.session.execute(delete(EmailChange).where(EmailChange.resident_id == resident_id))
