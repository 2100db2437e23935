"""The businesses in the scheme, as the public sees them: by neighbourhood."""

from __future__ import annotations

from sqlalchemy import select

from cashback.models import Merchant, MerchantStatus
from cashback.repository.base import Repository
from resident_card.city.models import Neighbourhood, Street

# The most a neighbourhood's list shows at once.
LISTED = 200


class DirectoryRepository(Repository):
    def in_scheme(self, neighbourhood: str) -> list[tuple[Merchant, Street]]:
        """The approved businesses of a neighbourhood (by its code) with their street, by name."""
        rows = self.session.execute(
            select(Merchant, Street)
            .join(Street, Street.id == Merchant.street_id)
            .join(Neighbourhood, Neighbourhood.id == Merchant.neighbourhood_id)
            .where(
                Neighbourhood.code == neighbourhood,
                Merchant.status == MerchantStatus.approved.value,
            )
            .order_by(Merchant.name, Merchant.id)
            .limit(LISTED)
        ).all()
        return [(merchant, street) for merchant, street in rows]
