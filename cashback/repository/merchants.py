"""Businesses, where they are, and their staff accounts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import and_, bindparam, select

from cashback.models import Merchant, MerchantStaff, MerchantStatus, Purchase
from cashback.repository.base import Repository
from kernel.kit import inserts
from resident_card.accounts.models import User
from resident_card.city.models import Neighbourhood, Street

# The start of every purchase (``MerchantRepository.at_till``), built once.
_AT_TILL = (
    select(Merchant, Neighbourhood.code, Purchase)
    .join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
    .join(Neighbourhood, Neighbourhood.id == Merchant.neighbourhood_id)
    .outerjoin(
        Purchase,
        and_(
            Purchase.merchant_id == Merchant.id,
            Purchase.idempotency_key == bindparam("key", type_=Purchase.idempotency_key.type),
        ),
    )
    .where(MerchantStaff.user_id == bindparam("staff_user_id", type_=MerchantStaff.user_id.type))
)


class MerchantRepository(Repository):
    def add(self, merchant: Merchant) -> Merchant:
        self.session.add(merchant)
        self.session.flush()
        return merchant

    def get(self, merchant_id: uuid.UUID, *, for_update: bool = False) -> Merchant | None:
        if not for_update:
            return self.session.get(Merchant, merchant_id)
        return self.session.scalar(
            select(Merchant)
            .where(Merchant.id == merchant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Merchant]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            m.id: m for m in self.session.scalars(select(Merchant).where(Merchant.id.in_(wanted)))
        }

    def registry_number_taken(self, registry_number: str) -> bool:
        found = self.session.scalar(
            select(Merchant.id).where(Merchant.registry_number == registry_number)
        )
        return found is not None

    def list(self, *, status: str | None, limit: int, offset: int) -> Sequence[Merchant]:
        query = select(Merchant).order_by(Merchant.created_at.desc(), Merchant.id)
        if status is not None:
            query = query.where(Merchant.status == status)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def settleable(self) -> Sequence[Merchant]:
        """Businesses that were ever let in: approved now, or suspended since."""
        return self.session.scalars(
            select(Merchant)
            .where(
                Merchant.status.in_([MerchantStatus.approved.value, MerchantStatus.suspended.value])
            )
            .order_by(Merchant.registry_number)
        ).all()

    def neighbourhood_codes(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Neighbourhood.id, Neighbourhood.code).where(Neighbourhood.id.in_(wanted))
        )
        return {row[0]: row[1] for row in rows}

    def places(
        self, merchants: Iterable[Merchant]
    ) -> dict[uuid.UUID, tuple[Street, Neighbourhood]]:
        """Each business's street and neighbourhood."""
        merchants = list(merchants)
        streets = {m.street_id for m in merchants}
        neighbourhoods = {m.neighbourhood_id for m in merchants}
        if not merchants:
            return {}
        found_streets = {
            s.id: s for s in self.session.scalars(select(Street).where(Street.id.in_(streets)))
        }
        found_neighbourhoods = {
            n.id: n
            for n in self.session.scalars(
                select(Neighbourhood).where(Neighbourhood.id.in_(neighbourhoods))
            )
        }
        return {
            m.id: (found_streets[m.street_id], found_neighbourhoods[m.neighbourhood_id])
            for m in merchants
        }

    def at_till(
        self, staff_user_id: uuid.UUID, *, key: str | None
    ) -> tuple[Merchant, str, Purchase | None] | None:
        """The staff account's business, its neighbourhood's code, and the business's purchase
        under the idempotency key if there is one: one read for the start of a purchase."""
        row = self.session.execute(_AT_TILL, {"staff_user_id": staff_user_id, "key": key}).first()
        if row is None:
            return None
        return row[0], row[1], row[2]

    def staff_link(self, user_id: uuid.UUID) -> MerchantStaff | None:
        return self.session.scalar(select(MerchantStaff).where(MerchantStaff.user_id == user_id))

    def merchant_of_staff(self, user_id: uuid.UUID) -> Merchant | None:
        return self.session.scalar(
            select(Merchant)
            .join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
            .where(MerchantStaff.user_id == user_id)
        )

    def add_staff_if_absent(self, merchant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Link a staff account to a business; False when the account already belongs to one."""
        statement = (
            inserts.insert_if_absent(self.session, MerchantStaff)
            .values(id=uuid.uuid4(), merchant_id=merchant_id, user_id=user_id)
            .returning(MerchantStaff.id)
        )
        return self.session.scalar(statement) is not None

    def remove_staff(self, link: MerchantStaff) -> None:
        self.session.delete(link)
        self.session.flush()

    def staff_members(self, merchant_id: uuid.UUID) -> Sequence[tuple[MerchantStaff, User]]:
        """A business's staff links with their logins, oldest first, in one statement."""
        rows = self.session.execute(
            select(MerchantStaff, User)
            .join(User, User.id == MerchantStaff.user_id)
            .where(MerchantStaff.merchant_id == merchant_id)
            .order_by(MerchantStaff.created_at, MerchantStaff.id)
        )
        return [(link, user) for link, user in rows]

    def staff_of_each(
        self, merchant_ids: Iterable[uuid.UUID]
    ) -> Mapping[uuid.UUID, Sequence[uuid.UUID]]:
        """Each business's staff accounts, oldest first, in one statement."""
        wanted = set(merchant_ids)
        staff: dict[uuid.UUID, list[uuid.UUID]] = {merchant_id: [] for merchant_id in wanted}
        if not wanted:
            return staff
        rows = self.session.execute(
            select(MerchantStaff.merchant_id, MerchantStaff.user_id)
            .where(MerchantStaff.merchant_id.in_(wanted))
            .order_by(MerchantStaff.created_at, MerchantStaff.id)
        )
        for merchant_id, user_id in rows:
            staff[merchant_id].append(user_id)
        return staff

    def staff_of_approved(
        self, *, categories: Sequence[str], neighbourhoods: Sequence[str]
    ) -> Sequence[uuid.UUID]:
        """The staff accounts of approved businesses of these categories in these neighbourhoods
        (by code; an empty list: every one), in one statement."""
        query = (
            select(MerchantStaff.user_id)
            .join(Merchant, Merchant.id == MerchantStaff.merchant_id)
            .where(Merchant.status == MerchantStatus.approved.value)
        )
        if categories:
            query = query.where(Merchant.category.in_(categories))
        if neighbourhoods:
            query = query.join(Neighbourhood, Neighbourhood.id == Merchant.neighbourhood_id).where(
                Neighbourhood.code.in_(neighbourhoods)
            )
        return self.session.scalars(query.order_by(MerchantStaff.user_id)).all()
