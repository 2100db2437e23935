"""What the scheme does for a business, for its owner and staff: its months beside its category's
in its neighbourhood."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from cashback.earning import CATEGORY_NAMES
from cashback.endpoints.dependencies import AUTH
from cashback.exceptions import MerchantNotFound
from cashback.roles import MerchantCaller
from cashback.schemas import (
    BusinessFiguresOut,
    BusinessMonthOut,
    CategoryFiguresOut,
    CategoryMonthOut,
)
from cashback.service import business_figures as service
from figures.exceptions import InvalidWindow
from figures.statistics import NamedOut, window_out
from figures.window import FigureWindow
from kernel.database import DbSession
from kernel.errors import Unprocessable, responses
from kernel.kit.language import RequestLanguage
from kernel.settings import AppSettings

router = APIRouter(tags=["cashback"])


def _month(figures: service.MonthFigures) -> BusinessMonthOut:
    return BusinessMonthOut(
        month=figures.month,
        purchases=figures.purchases,
        sales_agorot=figures.sales_agorot,
        cashback_agorot=figures.cashback_agorot,
        residents=figures.residents,
        returning_residents=figures.returning_residents,
    )


def _category_month(month: service.CategoryMonth) -> CategoryMonthOut:
    if month.hidden is not None:
        return CategoryMonthOut(
            month=month.figures.month,
            hidden_because=month.hidden.value,
            purchases=None,
            sales_agorot=None,
            cashback_agorot=None,
            residents=None,
            returning_residents=None,
        )
    return CategoryMonthOut(hidden_because=None, **_month(month.figures).model_dump())


@router.get(
    "/cashback/merchants/{merchant_id}/figures",
    response_model=BusinessFiguresOut,
    responses=responses(*AUTH, MerchantNotFound, InvalidWindow, Unprocessable),
)
def business_figures(
    merchant_id: uuid.UUID,
    caller: MerchantCaller,
    session: DbSession,
    settings: AppSettings,
    window: FigureWindow,
    language: RequestLanguage,
) -> BusinessFiguresOut:
    """What the scheme did for my business by city month (purchases, sales, cashback, residents
    and those who came back), beside every business of its category in its neighbourhood, months
    of too few residents or businesses hidden (its owner and staff; another business: 404)."""
    found = service.business_figures(
        session, settings, merchant_id=merchant_id, user_id=caller.id, window=window
    )
    merchant = found.merchant
    return BusinessFiguresOut(
        window=window_out(window),
        id=merchant.id,
        name=merchant.name,
        months=[_month(month) for month in found.months],
        category=CategoryFiguresOut(
            category=NamedOut(
                code=merchant.category, name=CATEGORY_NAMES[merchant.category][language]
            ),
            neighbourhood=NamedOut(
                code=found.neighbourhood.code, name=found.neighbourhood.name(language)
            ),
            businesses=found.category_businesses,
            months=[_category_month(month) for month in found.category_months],
        ),
    )
