"""Every query of programmes, rule versions, decisions and allowance grants."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from benefits.eligibility.models import (
    AllowanceGrant,
    Decision,
    Programme,
    ProgrammeStatus,
    RuleVersion,
)
from resident_card.residents.models import Guardianship, Resident

_CODE = bindparam("code", type_=Programme.code.type)
_AT = bindparam("at", type_=RuleVersion.effective_from.type)
# A programme and its rule in force (``ProgrammeRepository.by_code_with_version_at``): every
# decision reads them, so the statement is built once.
_WITH_VERSION_AT = (
    select(Programme, RuleVersion)
    .outerjoin(
        RuleVersion,
        and_(
            RuleVersion.programme_id == Programme.id,
            RuleVersion.effective_from <= _AT,
            or_(RuleVersion.effective_to.is_(None), RuleVersion.effective_to > _AT),
        ),
    )
    .where(Programme.code == _CODE)
    .order_by(RuleVersion.effective_from.desc())
    .limit(1)
)


class ProgrammeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, programme: Programme) -> Programme:
        self.session.add(programme)
        self.session.flush()
        return programme

    def by_code(self, code: str) -> Programme | None:
        return self.session.scalar(select(Programme).where(Programme.code == code))

    def by_code_with_version_at(
        self, code: str, at: datetime
    ) -> tuple[Programme, RuleVersion | None] | None:
        """The programme and the rule version in force at a moment (ranges are half-open:
        from ≤ at < to), in one statement; None when there is no such programme."""
        row = self.session.execute(_WITH_VERSION_AT, {"code": code, "at": at}).first()
        return None if row is None else (row[0], row[1])

    def by_code_for_update(self, code: str) -> Programme | None:
        """The programme, locked: changes to its rule versions are made one at a time."""
        return self.session.scalar(
            select(Programme).where(Programme.code == code).with_for_update()
        )

    def get(self, programme_id: uuid.UUID) -> Programme | None:
        return self.session.get(Programme, programme_id)

    def by_ids(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, Programme]:
        if not ids:
            return {}
        rows = self.session.scalars(select(Programme).where(Programme.id.in_(ids)))
        return {programme.id: programme for programme in rows}

    def list(self, *, status: ProgrammeStatus | None = None) -> Sequence[Programme]:
        query = select(Programme).order_by(Programme.code)
        if status is not None:
            query = query.where(Programme.status == status.value)
        return self.session.scalars(query).all()

    def running(self, at: datetime) -> Sequence[Programme]:
        return self.session.scalars(
            select(Programme)
            .where(
                Programme.status == ProgrammeStatus.active.value,
                Programme.active_from <= at,
                or_(Programme.active_to.is_(None), Programme.active_to > at),
            )
            .order_by(Programme.code)
        ).all()


class RuleVersionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, version: RuleVersion) -> RuleVersion:
        self.session.add(version)
        self.session.flush()
        return version

    def of(self, programme_id: uuid.UUID) -> Sequence[RuleVersion]:
        return self.session.scalars(
            select(RuleVersion)
            .where(RuleVersion.programme_id == programme_id)
            .order_by(RuleVersion.effective_from, RuleVersion.version)
        ).all()

    def by_number(self, programme_id: uuid.UUID, version: int) -> RuleVersion | None:
        return self.session.scalar(
            select(RuleVersion).where(
                RuleVersion.programme_id == programme_id, RuleVersion.version == version
            )
        )

    def by_ids(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, RuleVersion]:
        if not ids:
            return {}
        rows = self.session.scalars(select(RuleVersion).where(RuleVersion.id.in_(ids)))
        return {version.id: version for version in rows}

    def newest_number(self, programme_id: uuid.UUID) -> int:
        numbers = self.session.scalars(
            select(RuleVersion.version)
            .where(RuleVersion.programme_id == programme_id)
            .order_by(RuleVersion.version.desc())
            .limit(1)
        ).all()
        return numbers[0] if numbers else 0

    def at(self, programme_id: uuid.UUID, at: datetime) -> RuleVersion | None:
        """The version in force at a moment (ranges are half-open: from ≤ at < to)."""
        return self.session.scalar(
            select(RuleVersion)
            .where(
                RuleVersion.programme_id == programme_id,
                RuleVersion.effective_from <= at,
                or_(RuleVersion.effective_to.is_(None), RuleVersion.effective_to > at),
            )
            .order_by(RuleVersion.effective_from.desc())
            .limit(1)
        )

    def in_force_for(
        self, programme_ids: set[uuid.UUID], at: datetime
    ) -> dict[uuid.UUID, RuleVersion]:
        """The version in force at a moment for each of several programmes."""
        if not programme_ids:
            return {}
        rows = self.session.scalars(
            select(RuleVersion).where(
                RuleVersion.programme_id.in_(programme_ids),
                RuleVersion.effective_from <= at,
                or_(RuleVersion.effective_to.is_(None), RuleVersion.effective_to > at),
            )
        )
        return {version.programme_id: version for version in rows}

    def non_empty(self, programme_id: uuid.UUID) -> Sequence[RuleVersion]:
        """The versions that apply at some moment (a version withdrawn before it began does not)."""
        return self.session.scalars(
            select(RuleVersion)
            .where(
                RuleVersion.programme_id == programme_id,
                or_(
                    RuleVersion.effective_to.is_(None),
                    and_(RuleVersion.effective_to > RuleVersion.effective_from),
                ),
            )
            .order_by(RuleVersion.effective_from)
        ).all()


class DecisionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, decision: Decision) -> Decision:
        self.session.add(decision)
        self.session.flush()
        return decision

    def get(self, decision_id: uuid.UUID) -> Decision | None:
        return self.session.get(Decision, decision_id)

    def latest(
        self, programme_id: uuid.UUID, resident_id: uuid.UUID, since: datetime
    ) -> Decision | None:
        return self.session.scalar(
            select(Decision)
            .where(
                Decision.programme_id == programme_id,
                Decision.resident_id == resident_id,
                Decision.decided_at >= since,
            )
            .order_by(Decision.decided_at.desc())
            .limit(1)
        )

    def unused_override(self, programme_id: uuid.UUID, resident_id: uuid.UUID) -> Decision | None:
        """The newest decision a granted appeal made for this resident and programme, if no
        decision has acted on it since (each acting on it names the same appeal)."""
        override = self.session.scalar(
            select(Decision)
            .where(
                Decision.programme_id == programme_id,
                Decision.resident_id == resident_id,
                Decision.appeal_id.is_not(None),
            )
            .order_by(Decision.decided_at.desc())
            .limit(1)
        )
        if override is None:
            return None
        uses = self.session.scalar(
            select(func.count())
            .select_from(Decision)
            .where(Decision.appeal_id == override.appeal_id)
        )
        return override if uses == 1 else None

    def list(
        self,
        *,
        resident_id: uuid.UUID | None,
        programme_id: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> Sequence[Decision]:
        query = select(Decision).order_by(Decision.decided_at.desc(), Decision.id)
        if resident_id is not None:
            query = query.where(Decision.resident_id == resident_id)
        if programme_id is not None:
            query = query.where(Decision.programme_id == programme_id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def of_residents(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Decision]:
        return self.session.scalars(
            select(Decision)
            .where(Decision.resident_id.in_(resident_ids))
            .order_by(Decision.decided_at, Decision.id)
        ).all()


class AllowanceGrantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, grant: AllowanceGrant) -> AllowanceGrant:
        self.session.add(grant)
        self.session.flush()
        return grant

    def find(
        self, programme_id: uuid.UUID, resident_id: uuid.UUID, period: str
    ) -> AllowanceGrant | None:
        return self.session.scalar(
            select(AllowanceGrant).where(
                AllowanceGrant.programme_id == programme_id,
                AllowanceGrant.resident_id == resident_id,
                AllowanceGrant.period == period,
            )
        )

    def of_residents(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[AllowanceGrant]:
        return self.session.scalars(
            select(AllowanceGrant)
            .where(AllowanceGrant.resident_id.in_(resident_ids))
            .order_by(AllowanceGrant.created_at, AllowanceGrant.id)
        ).all()

    def count_of_period(self, programme_id: uuid.UUID, period: str) -> int:
        return (
            self.session.scalar(
                select(func.count())
                .select_from(AllowanceGrant)
                .where(AllowanceGrant.programme_id == programme_id, AllowanceGrant.period == period)
            )
            or 0
        )

    def of_period(self, programme_id: uuid.UUID, period: str) -> Sequence[AllowanceGrant]:
        return self.session.scalars(
            select(AllowanceGrant)
            .where(AllowanceGrant.programme_id == programme_id, AllowanceGrant.period == period)
            .order_by(AllowanceGrant.created_at, AllowanceGrant.id)
        ).all()

    def of_period_for_update(
        self, programme_id: uuid.UUID, period: str
    ) -> Sequence[AllowanceGrant]:
        return self.session.scalars(
            select(AllowanceGrant)
            .where(AllowanceGrant.programme_id == programme_id, AllowanceGrant.period == period)
            .order_by(AllowanceGrant.created_at, AllowanceGrant.id)
            .with_for_update()
        ).all()


class ResidentRollRepository:
    """The city's residents, read in pages of ids: whom a periodic grant considers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(Resident)) or 0)

    def ids_after(self, last: uuid.UUID | None, limit: int) -> Sequence[uuid.UUID]:
        query = select(Resident.id).order_by(Resident.id).limit(limit)
        if last is not None:
            query = query.where(Resident.id > last)
        return self.session.scalars(query).all()

    def with_households(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[uuid.UUID]:
        """These residents and everyone who shares a household with one of them."""
        if not resident_ids:
            return []
        households = select(Resident.household_id).where(Resident.id.in_(resident_ids))
        return self.session.scalars(
            select(Resident.id)
            .where(or_(Resident.id.in_(resident_ids), Resident.household_id.in_(households)))
            .order_by(Resident.id)
        ).all()

    def accounts_to_tell(self, resident_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """Whom to tell about a resident: their own account, or (a ward with none) the accounts
        of the guardians who act for them."""
        own = self.session.scalar(select(Resident.user_id).where(Resident.id == resident_id))
        if own is not None:
            return [own]
        return self.session.scalars(
            select(Resident.user_id)
            .join(Guardianship, Guardianship.guardian_id == Resident.id)
            .where(Guardianship.ward_id == resident_id, Resident.user_id.is_not(None))
            .order_by(Resident.user_id)
        ).all()  # type: ignore[return-value]
