"""Every query of residents, households, guardianships, status changes and email changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Integer, Uuid, bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from resident_card.city.models import Neighbourhood
from resident_card.city.repository import neighbourhood_code_at
from resident_card.residents.models import (
    ClaimState,
    EmailChange,
    Guardianship,
    Household,
    IdentityClaim,
    ResidencyStatus,
    Resident,
    StatusChange,
)

# Residents who still count as living at their address.
_PRESENT = (ResidencyStatus.pending, ResidencyStatus.verified, ResidencyStatus.suspended)


# A resident's neighbourhood (as ``city.neighbourhood_for`` chooses it) and how many live in their
# household: what every eligibility decision reads of an address, in one statement, built once.
_HOUSEHOLD_SIZE = (
    select(func.count())
    .select_from(Resident)
    .where(
        Resident.household_id == bindparam("household_id", type_=Uuid()),
        Resident.status.in_(_PRESENT),
    )
    .scalar_subquery()
)
_ADDRESS_FACTS = select(Neighbourhood, _HOUSEHOLD_SIZE).where(
    Neighbourhood.code
    == neighbourhood_code_at(
        bindparam("street_id", type_=Uuid()), bindparam("house_number", type_=Integer())
    )
)


# Whom a ward's notices go to (every cashback purchase by a resident with no account asks): built once.
_GUARDIAN_ACCOUNTS = (
    select(Resident.user_id)
    .join(Guardianship, Guardianship.guardian_id == Resident.id)
    .where(
        Guardianship.ward_id == bindparam("ward_id", type_=Uuid()), Resident.user_id.is_not(None)
    )
    .order_by(Guardianship.created_at, Guardianship.id)
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ResidentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Resident | Household | Guardianship | StatusChange) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, resident_id: uuid.UUID) -> Resident | None:
        return self.session.get(Resident, resident_id)

    def get_for_update(self, resident_id: uuid.UUID) -> Resident | None:
        return self.session.scalar(
            select(Resident).where(Resident.id == resident_id).with_for_update()
        )

    def by_user(self, user_id: uuid.UUID) -> Resident | None:
        return self.session.scalar(select(Resident).where(Resident.user_id == user_id))

    def with_account_by_email(self, email: str, *, limit: int) -> Sequence[Resident]:
        """Residents who sign in and have this email address, in any case of its letters."""
        return self.session.scalars(
            select(Resident)
            .where(Resident.user_id.is_not(None), func.lower(Resident.email) == email.lower())
            .order_by(Resident.created_at, Resident.id)
            .limit(limit)
        ).all()

    def by_identifier_hash(
        self, identifier_hash: str, *, for_update: bool = False
    ) -> Resident | None:
        query = select(Resident).where(Resident.identifier_hash == identifier_hash)
        return self.session.scalar(query.with_for_update() if for_update else query)

    def household(self, household_id: uuid.UUID) -> Household | None:
        return self.session.get(Household, household_id)

    def household_at(
        self, street_id: uuid.UUID, house_number: int, apartment: str
    ) -> Household | None:
        return self.session.scalar(
            select(Household).where(
                Household.street_id == street_id,
                Household.house_number == house_number,
                Household.apartment == apartment,
            )
        )

    def add_household(self, household: Household) -> Household:
        """Add a household, or take the one another transaction just made at the same address."""
        try:
            with self.session.begin_nested():
                self.session.add(household)
                self.session.flush()
        except IntegrityError:
            existing = self.household_at(
                household.street_id, household.house_number, household.apartment
            )
            if existing is None:
                raise
            return existing
        return household

    def household_size(self, household_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(Resident)
                .where(Resident.household_id == household_id, Resident.status.in_(_PRESENT))
            )
            or 0
        )

    def address_facts(self, resident: Resident) -> tuple[Neighbourhood | None, int]:
        """The resident's neighbourhood (None where no range holds their address) and their
        household's size: one statement where the address has a neighbourhood."""
        row = self.session.execute(
            _ADDRESS_FACTS,
            {
                "street_id": resident.street_id,
                "house_number": resident.house_number,
                "household_id": resident.household_id,
            },
        ).first()
        if row is None:
            return None, self.household_size(resident.household_id)
        return row[0], int(row[1] or 0)

    def household_members(self, household_id: uuid.UUID) -> Sequence[Resident]:
        """Who lives in a household now (pending, verified or suspended), for update."""
        return self.session.scalars(
            select(Resident)
            .where(Resident.household_id == household_id, Resident.status.in_(_PRESENT))
            .order_by(Resident.id)
            .with_for_update()
        ).all()

    def wards_of(self, guardian_id: uuid.UUID, *, born_after: date) -> Sequence[Resident]:
        """The guardian's wards born after this date (the minors among them, given the cut-off)."""
        return self.session.scalars(
            select(Resident)
            .join(Guardianship, Guardianship.ward_id == Resident.id)
            .where(Guardianship.guardian_id == guardian_id, Resident.date_of_birth > born_after)
            .order_by(Resident.date_of_birth, Resident.id)
        ).all()

    def guardianships_of_ward(self, ward_id: uuid.UUID) -> Sequence[Guardianship]:
        return self.session.scalars(
            select(Guardianship).where(Guardianship.ward_id == ward_id)
        ).all()

    def guardian_accounts(self, ward_id: uuid.UUID) -> Sequence[uuid.UUID]:
        """The user accounts of the ward's guardians that have one, oldest guardianship first."""
        found = self.session.scalars(_GUARDIAN_ACCOUNTS, {"ward_id": ward_id})
        return [user_id for user_id in found if user_id is not None]

    def relations_of(self, guardian_id: uuid.UUID) -> dict[uuid.UUID, str]:
        rows = self.session.execute(
            select(Guardianship.ward_id, Guardianship.relation).where(
                Guardianship.guardian_id == guardian_id
            )
        ).all()
        return {ward_id: relation for ward_id, relation in rows}

    def is_guardian(
        self, guardian_id: uuid.UUID, ward_id: uuid.UUID, *, born_after: date | None = None
    ) -> bool:
        """Whether a guardianship links the two (and, given a cut-off, the ward was born after it)."""
        condition = exists().where(
            Guardianship.guardian_id == guardian_id, Guardianship.ward_id == ward_id
        )
        if born_after is not None:
            condition = condition.where(
                Guardianship.ward_id == Resident.id, Resident.date_of_birth > born_after
            )
        return bool(self.session.scalar(select(condition)))

    def status_history(self, resident_id: uuid.UUID) -> Sequence[StatusChange]:
        return self.session.scalars(
            select(StatusChange)
            .where(StatusChange.resident_id == resident_id)
            .order_by(StatusChange.at, StatusChange.created_at)
        ).all()

    def by_ids(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Resident]:
        if not resident_ids:
            return []
        return self.session.scalars(select(Resident).where(Resident.id.in_(resident_ids))).all()

    def status_histories(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[StatusChange]:
        """Every status change of these residents, oldest first."""
        if not resident_ids:
            return []
        return self.session.scalars(
            select(StatusChange)
            .where(StatusChange.resident_id.in_(resident_ids))
            .order_by(StatusChange.at, StatusChange.created_at, StatusChange.id)
        ).all()

    def search(
        self, *, status: str | None, text: str | None, limit: int, offset: int
    ) -> tuple[Sequence[Resident], int]:
        """Residents by status and by a text in their names, email or phone; and how many in all."""
        query = select(Resident)
        if status is not None:
            query = query.where(Resident.status == status)
        if text:
            pattern = _like_pattern(text)
            query = query.where(
                or_(
                    Resident.first_name.ilike(pattern, escape="\\"),
                    Resident.last_name.ilike(pattern, escape="\\"),
                    Resident.email.ilike(pattern, escape="\\"),
                    Resident.phone.ilike(pattern, escape="\\"),
                )
            )
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = self.session.scalars(
            query.order_by(Resident.last_name, Resident.first_name, Resident.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total


class ClaimRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, claim: IdentityClaim) -> IdentityClaim:
        self.session.add(claim)
        self.session.flush()
        return claim

    def of_claimant(
        self, claimant_id: uuid.UUID, *, for_update: bool = False
    ) -> IdentityClaim | None:
        query = select(IdentityClaim).where(IdentityClaim.claimant_id == claimant_id)
        return self.session.scalar(query.with_for_update() if for_update else query)

    def is_open(self, claimant_id: uuid.UUID) -> bool:
        return bool(
            self.session.scalar(
                select(
                    exists().where(
                        IdentityClaim.claimant_id == claimant_id,
                        IdentityClaim.state == ClaimState.open.value,
                    )
                )
            )
        )

    def untold(self, *, limit: int) -> Sequence[IdentityClaim]:
        """Claims whose holder is not told yet, oldest first, claimed for this transaction (on
        PostgreSQL another worker skips them)."""
        query = (
            select(IdentityClaim)
            .where(IdentityClaim.holder_told_at.is_(None))
            .order_by(IdentityClaim.created_at, IdentityClaim.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return self.session.scalars(query).all()

    def states_of(self, claimant_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The state of the claim each of these residents' enrolments makes, where one does."""
        if not claimant_ids:
            return {}
        rows = self.session.execute(
            select(IdentityClaim.claimant_id, IdentityClaim.state).where(
                IdentityClaim.claimant_id.in_(claimant_ids)
            )
        ).all()
        return {claimant_id: state for claimant_id, state in rows}


class EmailChangeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, change: EmailChange) -> EmailChange:
        self.session.add(change)
        self.session.flush()
        return change

    def count_after(self, resident_id: uuid.UUID, after: datetime) -> int:
        """How many email changes a resident asked for after a time."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    EmailChange.resident_id == resident_id, EmailChange.created_at > after
                )
            )
            or 0
        )

    def supersede_open(self, resident_id: uuid.UUID, now: datetime) -> None:
        """End every unconfirmed email change of a resident."""
        self.session.execute(
            update(EmailChange)
            .where(
                EmailChange.resident_id == resident_id,
                EmailChange.confirmed_at.is_(None),
                EmailChange.superseded_at.is_(None),
            )
            .values(superseded_at=now)
        )

    def pending(self, resident_id: uuid.UUID, now: datetime) -> EmailChange | None:
        """The resident's email change still waiting for its link, if one is."""
        return self.session.scalar(
            select(EmailChange)
            .where(
                EmailChange.resident_id == resident_id,
                EmailChange.confirmed_at.is_(None),
                EmailChange.superseded_at.is_(None),
                EmailChange.expires_at > now,
            )
            .order_by(EmailChange.created_at.desc())
            .limit(1)
        )

    def by_hash_for_update(self, token_hash: str) -> EmailChange | None:
        return self.session.scalar(
            select(EmailChange).where(EmailChange.token_hash == token_hash).with_for_update()
        )
