"""Cashback's statistics for the city's dashboard (admins and auditors): campaigns, purchases by
place and month, the busiest businesses, and flagged purchases, over a window of city days."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cashback.endpoints.dependencies import AUTH
from cashback.schemas.statistics import (
    BusinessStatsOut,
    CampaignStatsOut,
    FlagStatsOut,
    PurchaseStatsOut,
)
from cashback.service import statistics
from figures.exceptions import InvalidWindow
from figures.reading import FigureSession
from figures.window import FigureWindow
from kernel.clock import Now
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from resident_card.accounts.dependencies import StaffReader

router = APIRouter(prefix="/stats", tags=["statistics"])
REFUSALS = responses(*AUTH, InvalidWindow)


@router.get("/campaigns", response_model=CampaignStatsOut, responses=REFUSALS)
def campaigns(
    caller: StaffReader,
    session: FigureSession,
    window: FigureWindow,
    language: RequestLanguage,
    now: Now,
) -> CampaignStatsOut:
    """Each campaign's cashback credited and released by month, its budget and what is left (staff)."""
    return statistics.campaign_figures(session, window, language, now=now)


@router.get("/purchases", response_model=PurchaseStatsOut, responses=REFUSALS)
def purchases(
    caller: StaffReader, session: FigureSession, window: FigureWindow, language: RequestLanguage
) -> PurchaseStatsOut:
    """Purchases and cashback by the business's neighbourhood and category, and by month (staff)."""
    return statistics.purchase_figures(session, window, language)


@router.get("/businesses", response_model=BusinessStatsOut, responses=REFUSALS)
def businesses(
    caller: StaffReader,
    session: FigureSession,
    window: FigureWindow,
    language: RequestLanguage,
    limit: Annotated[int, Query(ge=1, le=100, description="How many businesses.")] = 10,
) -> BusinessStatsOut:
    """The businesses where residents paid the most in the window, most first (staff)."""
    return statistics.busiest_businesses(session, window, language, limit=limit)


@router.get("/flags", response_model=FlagStatsOut, responses=REFUSALS)
def flags(caller: StaffReader, session: FigureSession, window: FigureWindow) -> FlagStatsOut:
    """Purchases the fraud signals flagged in the window, and how clerks settled them (staff)."""
    return statistics.flag_figures(session, window)
