"""Every query of appeals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from benefits.appeals.models import Appeal, AppealStatus
from benefits.eligibility.models import Decision
from resident_card.residents.models import Resident


class AppealRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, appeal: Appeal) -> Appeal:
        self.session.add(appeal)
        self.session.flush()
        return appeal

    def get(self, appeal_id: uuid.UUID) -> Appeal | None:
        return self.session.get(Appeal, appeal_id)

    def get_for_update(self, appeal_id: uuid.UUID) -> Appeal | None:
        """The appeal, locked: one clerk decides it."""
        return self.session.scalar(select(Appeal).where(Appeal.id == appeal_id).with_for_update())

    def standing_for(self, decision_id: uuid.UUID) -> Sequence[str]:
        """The statuses of a decision's appeals that still stand (open, or granted)."""
        return self.session.scalars(
            select(Appeal.status).where(
                Appeal.decision_id == decision_id,
                Appeal.status.in_((AppealStatus.submitted.value, AppealStatus.granted.value)),
            )
        ).all()

    def of_people(self, user_id: uuid.UUID, resident_ids: Iterable[uuid.UUID]) -> Sequence[Appeal]:
        """The appeals about these residents or made by this account, newest first."""
        ids = list(resident_ids)
        return self.session.scalars(
            select(Appeal)
            .where(or_(Appeal.submitted_by == user_id, Appeal.resident_id.in_(ids)))
            .order_by(Appeal.created_at.desc(), Appeal.id)
        ).all()

    def granted_for(self, decision_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these decisions a granted appeal answered."""
        ids = list(decision_ids)
        if not ids:
            return set()
        return set(
            self.session.scalars(
                select(Appeal.decision_id).where(
                    Appeal.decision_id.in_(ids), Appeal.status == AppealStatus.granted.value
                )
            )
        )

    def of_decisions(self, decision_ids: Iterable[uuid.UUID]) -> Sequence[Appeal]:
        ids = list(decision_ids)
        if not ids:
            return []
        return self.session.scalars(
            select(Appeal).where(Appeal.decision_id.in_(ids)).order_by(Appeal.created_at)
        ).all()

    def list(
        self, *, status: AppealStatus | None, limit: int, offset: int
    ) -> tuple[Sequence[Appeal], int]:
        """Appeals for the clerks' desk: the oldest open first when filtered, else newest first."""
        query = select(Appeal)
        count = select(func.count()).select_from(Appeal)
        if status is not None:
            query = query.where(Appeal.status == status.value)
            count = count.where(Appeal.status == status.value)
        order = (
            (Appeal.created_at, Appeal.id)
            if status == AppealStatus.submitted
            else (Appeal.created_at.desc(), Appeal.id)
        )
        rows = self.session.scalars(query.order_by(*order).limit(limit).offset(offset)).all()
        return rows, int(self.session.scalar(count) or 0)

    def answers(self, appeal_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """The decision that answered each granted appeal, by appeal id."""
        ids = list(appeal_ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(Decision.appeal_id, Decision.id).where(Decision.appeal_id.in_(ids))
        ).all()
        return {appeal_id: decision_id for appeal_id, decision_id in rows if appeal_id}

    def resident_names(self, resident_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        ids = list(resident_ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(Resident.id, Resident.first_name, Resident.last_name).where(Resident.id.in_(ids))
        ).all()
        return {row.id: f"{row.first_name} {row.last_name}" for row in rows}
