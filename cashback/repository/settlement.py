"""Monthly settlements with businesses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from cashback.models import Settlement
from cashback.repository.base import Repository
from kernel.kit import inserts


class SettlementRepository(Repository):
    def get(self, merchant_id: uuid.UUID, period: str) -> Settlement | None:
        return self.session.scalar(
            select(Settlement).where(
                Settlement.merchant_id == merchant_id, Settlement.period == period
            )
        )

    def insert_if_absent(self, values: dict[str, Any]) -> Settlement | None:
        statement = (
            inserts.insert_if_absent(self.session, Settlement)
            .values(**values)
            .returning(Settlement)
        )
        settlement: Settlement | None = self.session.scalar(statement)
        return settlement

    def of_merchant(self, merchant_id: uuid.UUID) -> Sequence[Settlement]:
        return self.session.scalars(
            select(Settlement)
            .where(Settlement.merchant_id == merchant_id)
            .order_by(Settlement.period.desc())
        ).all()
