"""Refunds of purchases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from cashback.models import Refund
from cashback.repository.base import Repository


class RefundRepository(Repository):
    def add(self, refund: Refund) -> Refund:
        self.session.add(refund)
        self.session.flush()
        return refund

    def get(self, refund_id: uuid.UUID) -> Refund | None:
        return self.session.get(Refund, refund_id)

    def by_key(self, purchase_id: uuid.UUID, key: str) -> Refund | None:
        return self.session.scalar(
            select(Refund).where(Refund.purchase_id == purchase_id, Refund.idempotency_key == key)
        )

    def of_each(self, purchase_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Refund]]:
        """Each purchase's refunds, oldest first, in one statement."""
        wanted = set(purchase_ids)
        refunds: dict[uuid.UUID, list[Refund]] = {purchase_id: [] for purchase_id in wanted}
        if not wanted:
            return refunds
        for refund in self.session.scalars(
            select(Refund)
            .where(Refund.purchase_id.in_(wanted))
            .order_by(Refund.created_at, Refund.id)
        ):
            refunds[refund.purchase_id].append(refund)
        return refunds

    def in_period(self, merchant_id: uuid.UUID, start: datetime, end: datetime) -> Sequence[Refund]:
        return self.session.scalars(
            select(Refund)
            .where(
                Refund.merchant_id == merchant_id,
                Refund.created_at >= start,
                Refund.created_at < end,
            )
            .order_by(Refund.created_at, Refund.id)
        ).all()
