"""What the scheme does for a business, as its owner and staff read it: its purchases, sales,
cashback and returning residents by city month, and the same for every business of its category
in its neighbourhood, with nothing shown from which one other business's figures could be learnt.

A month of the category is hidden when it describes too few residents (``figures.suppression``,
k = ``TOSHAV_OPEN_DATA_K``) or when fewer than ``MIN_BUSINESSES`` businesses sold in it: with one
other business beside it, the business could subtract its own figures and read that one's. Every
month is hidden when fewer than ``MIN_BUSINESSES`` of the category's businesses are in the scheme.
No total over the window is given for the category, so no hidden month can be worked out from it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from cashback.exceptions import MerchantNotFound
from cashback.models import Merchant
from cashback.repository.business_figures import BusinessFiguresRepository
from cashback.repository.business_figures import MonthFigures as MonthFigures
from cashback.repository.merchants import MerchantRepository
from figures.settings import figures_settings
from figures.suppression import too_few
from figures.window import Window
from kernel.settings import Settings
from resident_card.city.models import Neighbourhood

# The fewest businesses a category figure may describe: fewer, and one could learn another's.
MIN_BUSINESSES = 3


class Hidden(StrEnum):
    """Why a month of the category is not shown."""

    too_few_residents = "too_few_residents"
    too_few_businesses = "too_few_businesses"


@dataclass(frozen=True)
class CategoryMonth:
    figures: MonthFigures
    hidden: Hidden | None


@dataclass(frozen=True)
class BusinessFigures:
    merchant: Merchant
    neighbourhood: Neighbourhood
    months: list[MonthFigures]
    category_businesses: int  # in the scheme, this one among them
    category_months: list[CategoryMonth]


def staffed_business(session: Session, merchant_id: uuid.UUID, user_id: uuid.UUID) -> Merchant:
    """The business, if this account is its owner or one of its staff; another business is not
    found (404), as if it did not exist."""
    repository = MerchantRepository(session)
    link = repository.staff_link(user_id)
    merchant = (
        None if link is None or link.merchant_id != merchant_id else repository.get(merchant_id)
    )
    if merchant is None:
        raise MerchantNotFound()
    return merchant


def _category_month(figures: MonthFigures, k: int, enough_businesses: bool) -> CategoryMonth:
    """A month of the category as shown. A month in which fewer than ``MIN_BUSINESSES`` sold is
    hidden even with no purchase at all: a zero tells of the others too."""
    if not enough_businesses or figures.businesses < MIN_BUSINESSES:
        return CategoryMonth(MonthFigures(figures.month), Hidden.too_few_businesses)
    if too_few(figures.residents, k):
        return CategoryMonth(MonthFigures(figures.month), Hidden.too_few_residents)
    return CategoryMonth(figures, None)


def business_figures(
    session: Session,
    settings: Settings,
    *,
    merchant_id: uuid.UUID,
    user_id: uuid.UUID,
    window: Window,
) -> BusinessFigures:
    """The business's months and its category's in its neighbourhood, for its owner or staff."""
    merchant = staffed_business(session, merchant_id, user_id)
    repository = BusinessFiguresRepository(session)
    businesses = repository.businesses_in_scheme(merchant)
    k = figures_settings(settings).open_data_k
    category = repository.months(repository.category_in_neighbourhood(merchant), window)
    neighbourhood = session.get(Neighbourhood, merchant.neighbourhood_id)
    assert neighbourhood is not None  # a foreign key keeps it there
    return BusinessFigures(
        merchant=merchant,
        neighbourhood=neighbourhood,
        months=repository.months([merchant.id], window),
        category_businesses=businesses,
        category_months=[
            _category_month(month, k, businesses >= MIN_BUSINESSES) for month in category
        ],
    )
