"""Fraud flags raised on purchases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select

from cashback.models import Flag, Purchase
from cashback.repository.base import Repository


class FlagRepository(Repository):
    def insert_all(self, rows: list[dict[str, Any]]) -> None:
        """New flags (their columns), in one statement: a purchase raises them as it is
        recorded, and nothing reads them back in its request."""
        self.session.execute(insert(Flag), rows)

    def get(self, flag_id: uuid.UUID, *, for_update: bool = False) -> Flag | None:
        if not for_update:
            return self.session.get(Flag, flag_id)
        return self.session.scalar(
            select(Flag)
            .where(Flag.id == flag_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def list(
        self, *, status: str | None, merchant_id: uuid.UUID | None, limit: int, offset: int
    ) -> Sequence[Flag]:
        query = select(Flag).order_by(Flag.created_at.desc(), Flag.id)
        if status is not None:
            query = query.where(Flag.status == status)
        if merchant_id is not None:
            query = query.where(Flag.merchant_id == merchant_id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def of_purchase(self, purchase_id: uuid.UUID) -> Sequence[Flag]:
        return self.session.scalars(
            select(Flag).where(Flag.purchase_id == purchase_id).order_by(Flag.signal)
        ).all()

    def purchases(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Purchase]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            p.id: p for p in self.session.scalars(select(Purchase).where(Purchase.id.in_(wanted)))
        }
