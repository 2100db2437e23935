"""Redemptions: cashback spent at businesses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cashback.models import Redemption
from cashback.repository.base import Repository
from kernel.kit import inserts


class RedemptionRepository(Repository):
    def by_key(self, merchant_id: uuid.UUID, key: str) -> Redemption | None:
        return self.session.scalar(
            select(Redemption).where(
                Redemption.merchant_id == merchant_id, Redemption.idempotency_key == key
            )
        )

    def insert_if_absent(self, values: dict[str, Any]) -> Redemption | None:
        statement = (
            inserts.insert_if_absent(self.session, Redemption)
            .values(**values)
            .returning(Redemption)
        )
        redemption: Redemption | None = self.session.scalar(statement)
        return redemption

    def of_resident(self, resident_id: uuid.UUID, *, limit: int) -> Sequence[Redemption]:
        return self.session.scalars(
            select(Redemption)
            .where(Redemption.resident_id == resident_id)
            .order_by(Redemption.created_at.desc(), Redemption.id)
            .limit(limit)
        ).all()

    def in_period(
        self, merchant_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Redemption]:
        return self.session.scalars(
            select(Redemption)
            .where(
                Redemption.merchant_id == merchant_id,
                Redemption.created_at >= start,
                Redemption.created_at < end,
            )
            .order_by(Redemption.created_at, Redemption.id)
        ).all()
