"""What the scheme did for businesses, month by month: one business's purchases, or those of every
business of a category in a neighbourhood, with the residents who bought and came back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Select, Table, and_, case, distinct, func, or_, select

from cashback.models import Merchant, MerchantStatus, Purchase
from cashback.repository.base import Repository
from figures.window import Window

# A business that was ever in the scheme (approved now, or suspended since): one that sells.
IN_SCHEME = (MerchantStatus.approved.value, MerchantStatus.suspended.value)
# The purchase's time as a column of its table, as the window's expressions take it.
_created_at = cast(Table, Purchase.__table__).c.created_at


@dataclass(frozen=True)
class MonthFigures:
    """A city month of purchases at some businesses. ``sales_agorot`` and ``cashback_agorot`` are
    net of what was refunded of them since; ``returning_residents`` bought in the month and had
    bought at the same businesses in an earlier month (of the window or before it)."""

    month: str
    purchases: int = 0
    sales_agorot: int = 0
    cashback_agorot: int = 0
    residents: int = 0
    returning_residents: int = 0
    businesses: int = 0  # how many of the businesses had a purchase in the month


class BusinessFiguresRepository(Repository):
    def category_in_neighbourhood(self, merchant: Merchant) -> Select[uuid.UUID]:
        """The ids of every business of the merchant's category in its neighbourhood (itself too)."""
        return select(Merchant.id).where(
            Merchant.category == merchant.category,
            Merchant.neighbourhood_id == merchant.neighbourhood_id,
        )

    def businesses_in_scheme(self, merchant: Merchant) -> int:
        """How many businesses of the merchant's category in its neighbourhood are in the scheme."""
        return int(
            self.session.scalar(
                select(func.count(Merchant.id)).where(
                    Merchant.category == merchant.category,
                    Merchant.neighbourhood_id == merchant.neighbourhood_id,
                    Merchant.status.in_(IN_SCHEME),
                )
            )
            or 0
        )

    def months(
        self, merchants: Select[uuid.UUID] | list[uuid.UUID], window: Window
    ) -> list[MonthFigures]:
        """Every month of the window, in order, with the purchases at these businesses (zeros
        where there were none): one query."""
        months = window.months()
        first = (
            select(Purchase.resident_id, func.min(Purchase.created_at).label("first_at"))
            .where(Purchase.merchant_id.in_(merchants))
            .group_by(Purchase.resident_id)
            .subquery()
        )
        # A resident came back in a month when their first purchase here was before it began.
        came_back = or_(
            *(
                and_(
                    Purchase.created_at >= month.start,
                    Purchase.created_at < month.end,
                    first.c.first_at < month.start,
                )
                for month in months
            )
        )
        rows = (
            select(
                window.month_of(_created_at),
                Purchase.id.label("purchase_id"),
                (Purchase.amount_agorot - Purchase.refunded_agorot).label("sales"),
                (Purchase.cashback_agorot - Purchase.cashback_returned_agorot).label("cashback"),
                Purchase.resident_id.label("resident_id"),
                case((came_back, Purchase.resident_id), else_=None).label("returning_id"),
                Purchase.merchant_id.label("merchant_id"),
            )
            .join(first, first.c.resident_id == Purchase.resident_id)
            .where(Purchase.merchant_id.in_(merchants), window.holds(_created_at))
            .subquery()
        )
        found = {
            str(row.month): MonthFigures(
                str(row.month),
                int(row.purchases),
                int(row.sales or 0),
                int(row.cashback or 0),
                int(row.residents),
                int(row.came_back),
                int(row.businesses),
            )
            for row in self.session.execute(
                select(
                    rows.c.month,
                    func.count(rows.c.purchase_id).label("purchases"),
                    func.sum(rows.c.sales).label("sales"),
                    func.sum(rows.c.cashback).label("cashback"),
                    func.count(distinct(rows.c.resident_id)).label("residents"),
                    func.count(distinct(rows.c.returning_id)).label("came_back"),
                    func.count(distinct(rows.c.merchant_id)).label("businesses"),
                ).group_by(rows.c.month)
            )
        }
        return [found.get(month.label, MonthFigures(month.label)) for month in months]
