"""Cashback's measures in the open data: purchases by the business's neighbourhood and category."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from cashback.models import BusinessCategory
from cashback.repository.open_data import OpenDataRepository
from figures.open_data.sources import Grain, Measure, OpenDataSource, SourceRow
from figures.window import Window


def purchase_rows(session: Session, window: Window, grain: Grain) -> Iterable[SourceRow]:
    """Purchases counted where the business is (its neighbourhood, its category), in the city
    month they were made; their people are the distinct residents who bought."""
    found = OpenDataRepository(session).purchases(
        window, by_neighbourhood=grain.by_neighbourhood, by_category=grain.by_category
    )
    for neighbourhood, month, category, purchases, amount, cashback, residents in found:
        yield SourceRow(
            neighbourhood=neighbourhood,
            month=month,
            category=category,
            values={
                "purchases": purchases,
                "purchases_agorot": amount,
                "cashback_agorot": cashback,
            },
            people=residents,
        )


SOURCE = OpenDataSource(
    resource="cashback",
    title="Cashback purchases",
    description="Purchases residents made with the resident card at businesses in the cashback "
    "scheme, and the cashback they earned, by the business's neighbourhood and category, in "
    "the city month of the purchase. Amounts are as paid, before any later refund.",
    names={"he": "קניות בהחזר כספי", "ar": "مشتريات باسترداد نقدي", "en": "Cashback purchases"},
    measures=(
        Measure(
            "purchases",
            "count",
            "Purchases made",
            {"he": "קניות", "ar": "مشتريات", "en": "Purchases"},
        ),
        Measure(
            "purchases_agorot",
            "agorot",
            "What the purchases cost",
            {"he": "סכום הקניות", "ar": "مبلغ المشتريات", "en": "Amount spent"},
        ),
        Measure(
            "cashback_agorot",
            "agorot",
            "The cashback the purchases earned",
            {"he": "החזר כספי", "ar": "الاسترداد النقدي", "en": "Cashback earned"},
        ),
    ),
    people="residents who bought",
    categories=tuple(category.value for category in BusinessCategory),
    rows=purchase_rows,
)
