"""The open data's purchases: counted by the business's neighbourhood, city month and category."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, String, func, literal, select

from cashback.models import Merchant, Purchase
from cashback.repository.base import Repository
from figures.window import Window
from resident_card.city.models import Neighbourhood


class OpenDataRepository(Repository):
    def purchases(
        self, window: Window, *, by_neighbourhood: bool, by_category: bool
    ) -> list[tuple[str | None, str, str | None, int, int, int, int]]:
        """(neighbourhood, month, category, purchases, amount, cashback, distinct residents) for
        each group with purchases in the window; every purchase counts at full amount, whatever was
        refunded later. ``None`` for a dimension not grouped by."""
        neighbourhood: ColumnElement[Any] = (
            Neighbourhood.code.expression if by_neighbourhood else literal(None, String())
        )
        category: ColumnElement[Any] = (
            Merchant.category.expression if by_category else literal(None, String())
        )
        inner = (
            select(
                neighbourhood.label("neighbourhood"),
                window.month_of(Purchase.created_at.expression),
                category.label("category"),
                Purchase.resident_id,
                Purchase.amount_agorot,
                Purchase.cashback_agorot,
            )
            .join(Merchant, Merchant.id == Purchase.merchant_id)
            .join(Neighbourhood, Neighbourhood.id == Merchant.neighbourhood_id)
            .where(window.holds(Purchase.created_at.expression))
            .subquery()
        )
        rows = self.session.execute(
            select(
                inner.c.neighbourhood,
                inner.c.month,
                inner.c.category,
                func.count(),
                func.sum(inner.c.amount_agorot),
                func.sum(inner.c.cashback_agorot),
                func.count(inner.c.resident_id.distinct()),
            ).group_by(inner.c.neighbourhood, inner.c.month, inner.c.category)
        ).all()
        return [(n, m, c, int(p), int(a), int(b), int(r)) for n, m, c, p, a, b, r in rows]
